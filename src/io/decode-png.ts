import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from './medical-image.js';
import { paeth, PNG_CHANNELS, PNG_SIGNATURE_BYTES } from './png-format.js';

/** Raised for PNGs this reader leaves to itk-wasm (interlaced). */
export class UnsupportedPngVariant extends Error {}

export function isPngFile(file: string): boolean {
  return /\.png$/i.test(file);
}

/**
 * Decodes a non-interlaced PNG's bytes, given a zlib inflate (Node's zlib in readPng, the browser's DecompressionStream in the bundle), keeping the stored sample
 * values: grey, grey+alpha, RGB and RGBA at 8 or 16 bits come back as itk-wasm gives them; unlike itk-wasm, a
 * palette PNG gives its palette indices (one component — label maps saved with a palette keep their classes) and 1/2/4-bit
 * grey gives the raw values (a 1-bit mask reads 0/1, not 0/255). Spacing comes from an sCAL chunk as ITK writes and
 * reads it (pHYs is ignored, as ITK does), otherwise 1.
 *
 * @throws MicflowError('invalid-data') naming the file when it is truncated or not a PNG; UnsupportedPngVariant for interlaced files.
 */
export async function decodePng(bytes: Uint8Array, file: string, inflate: (compressed: Uint8Array) => Promise<Uint8Array>): Promise<MedicalImage> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  const fail = (why: string): never => {
    throw new MicflowError('invalid-data', `Could not read image file ${file}: ${why}.`);
  };
  if (bytes.length < 8 || PNG_SIGNATURE_BYTES.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let spacing = [1, 1];
  const idat: Uint8Array[] = [];
  let offset = 8;
  let ended = false;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = latin1(offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (data.length < length) fail(`truncated in the ${type} chunk`);
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      bitDepth = data[8];
      colorType = data[9];
      if (data[12] !== 0) throw new UnsupportedPngVariant('interlaced');
    } else if (type === 'sCAL') {
      // ITK stores the spacing as sCAL text "width\0height" (after a unit byte) and reads it back as is.
      const [x, y] = latin1(offset + 9, offset + 8 + length).split('\0').map(Number);
      if (x > 0 && y > 0) spacing = [x, y];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    offset += 12 + length;
  }
  if (!ended) fail('truncated (no IEND chunk)');
  const channels = PNG_CHANNELS[colorType];
  if (!channels || !width || !height) fail(`unsupported PNG header (colour type ${colorType}, ${width}×${height})`);
  let raw: Uint8Array;
  try {
    raw = await inflate(concatBytes(idat));
  } catch {
    return fail('the compressed pixel data is corrupt or truncated');
  }
  const bitsPerPixel = channels * bitDepth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  if (raw.length < height * (rowBytes + 1)) fail(`truncated pixel data (${raw.length} of ${height * (rowBytes + 1)} bytes)`);
  const pixels = unfilter(raw, height, rowBytes, Math.max(1, bitsPerPixel >> 3));

  const values = width * height * channels;
  let data: Uint8Array | Uint16Array;
  if (bitDepth === 16) {
    data = new Uint16Array(values);
    for (let i = 0; i < values; i++) data[i] = (pixels[2 * i] << 8) | pixels[2 * i + 1];
  } else if (bitDepth === 8) {
    data = pixels;
  } else {
    data = new Uint8Array(values);
    const mask = (1 << bitDepth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * bitDepth;
        data[y * width + x] = (pixels[y * rowBytes + (bit >> 3)] >> (8 - bitDepth - (bit & 7))) & mask;
      }
    }
  }
  return {
    data,
    size: [width, height],
    spacing,
    origin: [0, 0],
    direction: [1, 0, 0, 1],
    components: channels,
    pixelType: bitDepth === 16 ? 'uint16' : 'uint8',
  };
}

/** Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth); returns the rows without their filter bytes. */
function unfilter(raw: Uint8Array, height: number, rowBytes: number, bytesPerPixel: number): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)];
    const source = y * (rowBytes + 1) + 1;
    const row = y * rowBytes;
    const previous = row - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[source + i];
      const a = i >= bytesPerPixel ? out[row + i - bytesPerPixel] : 0;
      const b = y > 0 ? out[previous + i] : 0;
      const c = y > 0 && i >= bytesPerPixel ? out[previous + i - bytesPerPixel] : 0;
      let v: number;
      switch (filter) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: v = x + paeth(a, b, c); break;
        default: throw new RangeError(`PNG row ${y} has unknown filter type ${filter}`);
      }
      out[row + i] = v & 0xff;
    }
  }
  return out;
}

/** The bytes of several arrays, one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
