import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import type { MedicalImage } from './medical-image.js';
import { decodePng } from './decode-png.js';

export { decodePng, isPngFile, UnsupportedPngVariant } from './decode-png.js';

const inflateAsync = promisify(inflate);

/**
 * Reads a non-interlaced PNG file with Node's zlib (much faster per call than the wasm reader); see {@link decodePng}
 * for what comes back.
 *
 * @throws MicflowError('invalid-data') naming the file when it is truncated or not a PNG; UnsupportedPngVariant for interlaced files.
 */
export async function readPng(file: string): Promise<MedicalImage> {
  return decodePng(await readFile(file), file, (compressed) => inflateAsync(compressed));
}
