import { MicflowError } from '../errors/micflow-error.js';
import { decodePng, isPngFile } from '../io/decode-png.js';
import type { MedicalImage } from '../io/medical-image.js';
import { isNiftiFile, parseNifti } from '../io/parse-nifti.js';
import { decodeDicomSeries, decodeItkWasmImage } from './itk-wasm-images.js';

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
 * The slices of the DICOM series in opened folder `folder`, as Node's readDicomSeries takes a folder: every file
 * directly in it whose name does not start with ".", in name order (files in its subfolders are not slices).
 * Undefined when no opened file is under `folder` at all.
 */
export function openedFolderSlices(files: OpenedFiles, folder: string): { name: string; bytes: Uint8Array }[] | undefined {
  const prefix = `${openedPathOf(folder)}/`;
  if (prefix === '/') return undefined;
  const under = [...files.keys()].filter((key) => key.startsWith(prefix));
  if (!under.length) return undefined;
  return under
    .map((key) => key.slice(prefix.length))
    .filter((name) => !name.includes('/') && !name.startsWith('.'))
    .sort()
    .map((name) => ({ name, bytes: files.get(prefix + name)! }));
}

/** Whether `path` names an opened file or an opened folder (a DICOM series), as a CSV list may name either. */
export function isOpened(files: OpenedFiles, path: string): boolean {
  return files.has(openedPathOf(path)) || openedFolderSlices(files, path) !== undefined;
}

/**
 * Decodes an opened image: PNG (the Node reader's decoder, inflated by DecompressionStream), single-file NIfTI-1
 * (.nii, .nii.gz), and with itk-wasm's browser build DICOM (.dcm, or any file starting like DICOM), MetaImage (.mha)
 * and NRRD (.nrrd), the same pipelines as Node's reader (src/browser/itk-wasm-images.ts). Given the opened files
 * instead of one file's bytes, `path` may also name a folder: its files are read as one DICOM series, as Node's
 * readImage reads a folder, so a CSV list naming `dicom/case1/` works in both.
 */
export async function decodeOpenedImage(path: string, source: Uint8Array | OpenedFiles): Promise<MedicalImage> {
  if (!(source instanceof Uint8Array)) {
    const bytes = source.get(openedPathOf(path));
    if (bytes) return decodeOpenedImage(path, bytes);
    const slices = openedFolderSlices(source, path);
    if (!slices) openedFile(source, path, 'image');
    return decodeDicomSeries(path, slices!);
  }
  const bytes = source;
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
  const decoded = await decodeItkWasmImage(path, bytes);
  if (decoded) return decoded;
  throw new MicflowError('invalid-data', `Could not read image file ${path}: in the browser micflow reads PNG, NIfTI-1 (.nii, .nii.gz), DICOM (.dcm, a folder of slices), MetaImage (.mha) and NRRD (.nrrd)`);
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
