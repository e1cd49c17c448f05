import { deflateSync } from 'node:zlib';
import { paeth, pngChunk, PNG_SIGNATURE } from '../../src/io/png-chunks.js';

/**
 * A deliberately general PNG encoder for tests: any colour type and bit depth, packed rows as given, each row filtered
 * with `filters[y % filters.length]` so every filter type of the reader gets exercised; optional palette and pHYs.
 */
export function encodeTestPng(options: {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** Unfiltered packed rows, height × rowBytes. */
  rows: Uint8Array;
  filters?: number[];
  palette?: number[][];
  pixelsPerMetre?: [number, number];
}): Buffer {
  const { width, height, bitDepth, colorType, rows } = options;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
  const bpp = Math.max(1, (channels * bitDepth) >> 3);
  const rowBytes = Math.ceil((width * channels * bitDepth) / 8);
  const filters = options.filters ?? [0];
  const out = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const filter = filters[y % filters.length];
    out[y * (rowBytes + 1)] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const x = rows[y * rowBytes + i];
      const a = i >= bpp ? rows[y * rowBytes + i - bpp] : 0;
      const b = y > 0 ? rows[(y - 1) * rowBytes + i] : 0;
      const c = y > 0 && i >= bpp ? rows[(y - 1) * rowBytes + i - bpp] : 0;
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      out[y * (rowBytes + 1) + 1 + i] = (x - predicted) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colorType;
  const chunks = [PNG_SIGNATURE, pngChunk('IHDR', header)];
  if (options.pixelsPerMetre) {
    const phys = Buffer.alloc(9);
    phys.writeUInt32BE(options.pixelsPerMetre[0], 0);
    phys.writeUInt32BE(options.pixelsPerMetre[1], 4);
    phys[8] = 1;
    chunks.push(pngChunk('pHYs', phys));
  }
  if (options.palette) chunks.push(pngChunk('PLTE', Uint8Array.from(options.palette.flat())));
  chunks.push(pngChunk('IDAT', deflateSync(out)), pngChunk('IEND', new Uint8Array(0)));
  return Buffer.concat(chunks);
}
