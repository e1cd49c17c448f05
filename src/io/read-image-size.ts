import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { MicflowError } from '../errors/micflow-error.js';
import { NIFTI1_HEADER_BYTES, NIFTI1_OFFSETS as O, NIFTI_INTENT_VECTOR } from './nifti-format.js';
import { readImage } from './read-image.js';
import { isNiftiFile } from './read-nifti.js';
import { isPngFile } from './read-png.js';

/** The first `bytes` bytes of a file, gunzipped first when it ends in .gz (only as much of the stream as needed). */
async function readHead(file: string, bytes: number): Promise<Buffer> {
  if (!/\.gz$/i.test(file)) {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(head, 0, bytes, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const source = createReadStream(file);
    const gunzip = createGunzip();
    const done = () => {
      source.destroy();
      gunzip.destroy();
      resolve(Buffer.concat(chunks).subarray(0, bytes));
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) done();
    });
    gunzip.on('end', done);
    gunzip.on('error', (error) => (length >= bytes ? done() : reject(error)));
    source.on('error', reject);
    source.pipe(gunzip);
  });
}

/** The size of a single-file NIfTI-1 from its header, as {@link readNifti} reports it; undefined for what it leaves to itk-wasm. */
function niftiHeaderSize(head: Buffer): number[] | undefined {
  if (head.length < NIFTI1_HEADER_BYTES) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const little = view.getInt32(0, true) === NIFTI1_HEADER_BYTES;
  if (!little && view.getInt32(0, false) !== NIFTI1_HEADER_BYTES) return undefined;
  if (head.toString('latin1', O.magic, O.magic + 3) !== 'n+1') return undefined;
  const dim = Array.from({ length: 8 }, (_, i) => view.getInt16(O.dim + 2 * i, little));
  const vector = view.getInt16(O.intentCode, little) === NIFTI_INTENT_VECTOR && dim[0] === 5 && dim[4] === 1;
  let dimension = vector ? 3 : dim[0];
  if (!vector) while (dimension > 3 && dim[dimension] === 1) dimension--;
  if (dimension < 1 || dimension > 3) return undefined;
  return dim.slice(1, dimension + 1);
}

/**
 * An image file's size in ITK order (x first, as {@link MedicalImage}.size), reading as little as there is a way to:
 * the header of a single-file NIfTI-1 (.nii, or the first bytes of a .nii.gz stream), the IHDR chunk of a PNG; any
 * other file (NRRD, MetaImage, a DICOM folder, NIfTI variants) is read whole with {@link readImage}.
 *
 * @throws MicflowError('invalid-data') when the file is missing or unreadable.
 */
export async function readImageSize(file: string): Promise<number[]> {
  try {
    if (isNiftiFile(file)) {
      const size = niftiHeaderSize(await readHead(file, NIFTI1_HEADER_BYTES));
      if (size) return size;
    } else if (isPngFile(file)) {
      const head = await readHead(file, 24);
      // Signature (8 bytes), then the IHDR chunk: length (4), type (4), width, height (big-endian uint32).
      if (head.length === 24 && head.toString('latin1', 12, 16) === 'IHDR') return [head.readUInt32BE(16), head.readUInt32BE(20)];
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MicflowError('invalid-data', `Could not read image file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}.`);
  }
  return (await readImage(file)).size;
}
