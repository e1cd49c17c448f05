import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MicflowError } from '../errors/micflow-error.js';
import type { ValidationOverlay } from './validation-overlay.js';

export { validationOverlayOf, type ValidationOverlay } from './validation-overlay.js';

/** First bytes of an overlay file (after gunzip): "MFOV", then a little-endian u32 header length. */
const MAGIC = 'MFOV';

/** The file's bytes: gzip of the magic, the header length, a JSON header {shape, classes} and the three byte planes. */
export function encodeValidationOverlay(overlay: ValidationOverlay): Buffer {
  const header = Buffer.from(JSON.stringify({ shape: overlay.shape, classes: overlay.classes }));
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 4);
  return gzipSync(Buffer.concat([prefix, header, overlay.image, overlay.label, overlay.prediction]));
}

export function decodeValidationOverlay(bytes: Uint8Array, origin: string): ValidationOverlay {
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes);
  } catch (error) {
    throw new MicflowError('invalid-data', `${origin}: not a validation overlay (${(error as Error).message})`);
  }
  if (raw.length < 8 || raw.toString('latin1', 0, 4) !== MAGIC) throw new MicflowError('invalid-data', `${origin}: not a validation overlay (no ${MAGIC} header)`);
  const headerLength = raw.readUInt32LE(4);
  const header = JSON.parse(raw.toString('utf8', 8, 8 + headerLength)) as { shape: number[]; classes: number };
  const voxels = header.shape.reduce((a, b) => a * b, 1);
  const start = 8 + headerLength;
  if (raw.length !== start + 3 * voxels) throw new MicflowError('invalid-data', `${origin}: ${raw.length - start} bytes of planes, expected ${3 * voxels} for ${header.shape.join('×')}`);
  const plane = (k: number) => new Uint8Array(raw.buffer, raw.byteOffset + start + k * voxels, voxels);
  return { shape: header.shape, classes: header.classes, image: plane(0), label: plane(1), prediction: plane(2) };
}

/** Writes an overlay file through a temporary file renamed into place (a reader never sees half a file). */
export function writeValidationOverlay(file: string, overlay: ValidationOverlay): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`);
  try {
    writeFileSync(temporary, encodeValidationOverlay(overlay));
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new MicflowError('invalid-data', `Could not write overlay file ${file}.`, [error instanceof Error ? error.message : String(error)]);
  }
}

export function readValidationOverlay(file: string): ValidationOverlay {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not read overlay file ${file}: ${(error as Error).message}`);
  }
  return decodeValidationOverlay(bytes, file);
}
