import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from './medical-image.js';
import { parseNifti } from './parse-nifti.js';

export { isNiftiFile, parseNifti, UnsupportedNiftiVariant } from './parse-nifti.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads a single-file NIfTI-1 image (.nii, or .nii.gz through Node's zlib, decompressed off the main thread) with
 * the geometry ITK (5.x, as in itk-wasm) reports: spacing from pixdim; origin and direction from the sform when its
 * code is scanner-anatomical (1) or there is no qform, and it is a rotation times the spacing; otherwise from the
 * qform; with neither, origin 0 and the identity. NIfTI's RAS is turned into ITK's LPS. Big-endian files are
 * byte-swapped; scl_slope/scl_inter other than 1/0 (a slope of 0 counting as 1) give float32 values;
 * vector images (intent 1007, components in dim[5]) come back interleaved.
 *
 * @throws MicflowError('invalid-data') naming the file when it is truncated or not NIfTI;
 *   UnsupportedNiftiVariant for variants to hand to itk-wasm.
 */
export async function readNifti(file: string): Promise<MedicalImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
    if (/\.gz$/i.test(file)) bytes = await gunzipAsync(bytes, { chunkSize: 1 << 20 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'Z_BUF_ERROR' ? 'the gzip stream is truncated' : code ?? String(error);
    throw new MicflowError('invalid-data', `Could not read image file ${file}: ${why}.`);
  }
  return parseNifti(bytes, file);
}

