import { MicflowError } from '../errors/micflow-error.js';
import { decodePng, isPngFile } from '../io/decode-png.js';
import type { MedicalImage } from '../io/medical-image.js';
import { isNiftiFile, parseNifti } from '../io/parse-nifti.js';

/**
 * Files a user opened, by their path relative to the data root with `/` separators (`train.csv`, `image/z044.png`):
 * what a pipeline's data root holds, in memory. In a tab they come from `<input type="file" webkitdirectory>` or
 * drag and drop (`openedFilesOf`); nothing is uploaded.
 */
export type OpenedFiles = ReadonlyMap<string, Uint8Array>;

/** The opened-files key of a path as a CSV list or a pipeline names it: `./a//b.png` → `a/b.png`. */
export function openedPathOf(listed: string): string {
  if (/^([a-z]:)?[\\/]/i.test(listed)) {
    throw new MicflowError('invalid-data', `${listed}: an absolute path cannot name an opened file; list paths relative to the data root`);
  }
  const parts: string[] = [];
  for (const part of listed.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The bytes of an opened file, or a MicflowError naming it and what was opened. */
export function openedFile(files: OpenedFiles, path: string, what: string): Uint8Array {
  const bytes = files.get(openedPathOf(path));
  if (!bytes) {
    const some = [...files.keys()].slice(0, 5).join(', ');
    throw new MicflowError('invalid-data', `${what} ${path} is not among the opened files (${files.size} opened${some ? `: ${some}${files.size > 5 ? ', …' : ''}` : ''})`);
  }
  return bytes;
}

/** Runs bytes through the platform's DecompressionStream (the browser's and Node's, no zlib binding needed). */
async function decompress(bytes: Uint8Array, format: 'deflate' | 'gzip'): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Decodes an opened image by its name: PNG (the Node reader's decoder, inflated by DecompressionStream) and
 * single-file NIfTI-1 (.nii, .nii.gz). Other formats (DICOM, MetaImage, NRRD…) are not read in the browser yet.
 */
export async function decodeOpenedImage(path: string, bytes: Uint8Array): Promise<MedicalImage> {
  if (isPngFile(path)) return decodePng(bytes, path, (compressed) => decompress(compressed, 'deflate'));
  if (isNiftiFile(path)) {
    let raw = bytes;
    if (/\.gz$/i.test(path)) {
      try {
        raw = await decompress(bytes, 'gzip');
      } catch (error) {
        throw new MicflowError('invalid-data', `Could not read image file ${path}: the gzip stream is corrupt or truncated (${(error as Error).message}).`);
      }
    }
    return parseNifti(raw, path);
  }
  throw new MicflowError('invalid-data', `Could not read image file ${path}: in the browser micflow reads PNG and NIfTI-1 (.nii, .nii.gz) only so far`);
}

/** A browser FileList (or array of File) as opened files, keyed by their path under the folder the user chose. */
export async function openedFilesOf(files: Iterable<File>, root = ''): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const file of files) {
    const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    // A chosen folder's files are "folder/…": keys drop that first part, so they are relative to the data root.
    const key = openedPathOf(root ? relative : relative.includes('/') ? relative.slice(relative.indexOf('/') + 1) : relative);
    out.set(key, new Uint8Array(await file.arrayBuffer()));
  }
  return out;
}
