import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from './medical-image.js';
import { encodeNifti } from './encode-nifti.js';

export { encodeNifti } from './encode-nifti.js';

const gzipAsync = promisify(gzip);

/**
 * Writes an image as NIfTI-1 (.nii, or .nii.gz compressed with Node's zlib at level 1 — nearly the size of level 6, faster —
 * off the main thread) through a temporary
 * file renamed into place, so a failed write leaves no partial file.
 */
export async function writeNifti(file: string, image: MedicalImage): Promise<void> {
  let bytes = encodeNifti(image);
  if (/\.gz$/i.test(file)) bytes = await gzipAsync(bytes, { level: 1, chunkSize: 1 << 20 });
  const temporary = path.join(path.dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new MicflowError('invalid-data', `Could not write image file ${file}.`, [error instanceof Error ? error.message : String(error)]);
  }
}
