import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflate, deflateSync } from 'node:zlib';
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from './medical-image.js';
import { pngChunk, PNG_SIGNATURE } from './png-chunks.js';

const deflateAsync = promisify(deflate);
const COLOUR_TYPE_OF_CHANNELS: Readonly<Record<number, number>> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** Whether {@link writePng} can store the image: 2D, uint8 or uint16, 1 to 4 components. */
export function canWritePng(image: MedicalImage): boolean {
  return image.size.length === 2 && (image.pixelType === 'uint8' || image.pixelType === 'uint16') && image.components >= 1 && image.components <= 4;
}

/**
 * The PNG file's bytes of a 2D uint8/uint16 image (grey, grey+alpha, RGB, RGBA), compressed with Node's zlib, rows
 * unfiltered, and (as ITK) an sCAL chunk holding the spacing when it is not 1.
 */
export async function encodePng(image: MedicalImage): Promise<Buffer> {
  const { raw, head } = pngParts(image);
  return Buffer.concat([...head, pngChunk('IDAT', await deflateAsync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

/** {@link encodePng} without waiting: for callers that cannot (an observer's `next`); small images only. */
export function encodePngSync(image: MedicalImage): Buffer {
  const { raw, head } = pngParts(image);
  return Buffer.concat([...head, pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

/** Writes {@link encodePng}'s bytes through a temporary file renamed into place. */
export async function writePng(file: string, image: MedicalImage): Promise<void> {
  const bytes = await encodePng(image);
  const temporary = path.join(path.dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new MicflowError('invalid-data', `Could not write image file ${file}.`, [error instanceof Error ? error.message : String(error)]);
  }
}

/** The unfiltered rows (each after its filter byte 0) and the chunks before IDAT: signature, IHDR, sCAL. */
function pngParts(image: MedicalImage): { raw: Buffer; head: Buffer[] } {
  if (!canWritePng(image)) {
    throw new MicflowError('invalid-argument', `PNG holds 2D uint8 or uint16 images of 1 to 4 components, not ${image.size.length}D ${image.pixelType} with ${image.components}`);
  }
  const [width, height] = image.size;
  const channels = image.components;
  if (image.data.length !== width * height * channels) {
    throw new MicflowError('invalid-argument', `PNG of ${width}×${height} with ${channels} components needs ${width * height * channels} values, not ${image.data.length}`);
  }
  const sixteen = image.pixelType === 'uint16';
  const rowBytes = width * channels * (sixteen ? 2 : 1);
  const raw = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1;
    if (sixteen) {
      for (let i = 0; i < width * channels; i++) raw.writeUInt16BE(image.data[y * width * channels + i] as number, row + 2 * i);
    } else {
      raw.set((image.data as Uint8Array).subarray(y * rowBytes, (y + 1) * rowBytes), row);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = sixteen ? 16 : 8;
  header[9] = COLOUR_TYPE_OF_CHANNELS[channels];
  const head = [PNG_SIGNATURE, pngChunk('IHDR', header)];
  if (image.spacing.some((s) => s !== 1)) {
    // As ITK: the spacing as sCAL text after the unit byte 1.
    head.push(pngChunk('sCAL', Buffer.from(`\x01${image.spacing[0]}\0${image.spacing[1]}`, 'latin1')));
  }
  return { raw, head };
}
