import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImageNode, writeImageNode } from '@itk-wasm/image-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { readPng } from '../../src/io/read-png.js';
import { encodePng, encodePngSync } from '../../src/io/write-png.js';
import { encodeTestPng } from './png-test-encoder.js';

const FIXTURE_PNG = path.resolve(import.meta.dirname, '../../fixtures/brain-mr-2d/image/z075.png');

async function itk(file: string) {
  const image = await readImageNode(file);
  return { data: Array.from(image.data as Uint8Array), size: Array.from(image.size), spacing: Array.from(image.spacing), components: image.imageType.components, componentType: image.imageType.componentType };
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'micflow-png-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

/** Bytes 0..n−1 scrambled, so that filters have something to predict. */
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + ((i * i) >> 3)) & 0xff);

describe('readPng', () => {
  const cases: Array<[string, number, number, number]> = [
    // name, colour type, bit depth, channels
    ['8-bit grey', 0, 8, 1],
    ['16-bit grey', 0, 16, 1],
    ['8-bit RGB', 2, 8, 3],
    ['8-bit grey+alpha', 4, 8, 2],
    ['8-bit RGBA', 6, 8, 4],
    ['16-bit RGB', 2, 16, 3],
  ];
  for (const [name, colorType, bitDepth, channels] of cases) {
    describe(`having a ${name} PNG with rows under every filter type`, () => {
      it('should agree with itk-wasm on values, size, components and type', async () => {
        const [width, height] = [7, 5];
        const file = path.join(folder, `${name.replace(/\W+/g, '-')}.png`);
        await writeFile(file, encodeTestPng({ width, height, bitDepth, colorType, rows: bytes((width * channels * bitDepth * height) / 8), filters: [0, 1, 2, 3, 4] }));
        const fast = await readPng(file);
        const reference = await itk(file);
        expect(Array.from(fast.data as Uint8Array)).toEqual(reference.data);
        expect(fast.size).toEqual(reference.size);
        expect(fast.components).toBe(reference.components);
        expect(fast.pixelType).toBe(reference.componentType);
      });
    });
  }

  describe('having a palette PNG label map', () => {
    it('should give the palette indices, where itk-wasm gives their RGB colours', async () => {
      const palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]];
      const indices = Uint8Array.of(0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 2, 2);
      const file = path.join(folder, 'palette.png');
      await writeFile(file, encodeTestPng({ width: 4, height: 3, bitDepth: 8, colorType: 3, rows: indices, palette, filters: [1, 4] }));
      const fast = await readPng(file);
      expect(fast.components).toBe(1);
      expect(Array.from(fast.data as Uint8Array)).toEqual(Array.from(indices));
      const reference = await itk(file);
      expect(reference.components).toBe(3);
      expect(reference.data).toEqual(Array.from(indices).flatMap((i) => palette[i]));
    });
  });

  describe('having a 1-bit mask and a 4-bit grey image', () => {
    it('should give the stored values (0/1 and 0..15), where itk-wasm scales them to 0..255', async () => {
      const mask = [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1];
      // 9 pixels a row → 2 bytes, the last bits padding.
      const pack = (values: number[], depth: number, width: number) => {
        const rowBytes = Math.ceil((width * depth) / 8);
        const out = new Uint8Array(rowBytes * (values.length / width));
        values.forEach((v, i) => {
          const y = Math.floor(i / width);
          const bit = (i % width) * depth;
          out[y * rowBytes + (bit >> 3)] |= v << (8 - depth - (bit & 7));
        });
        return out;
      };
      const maskFile = path.join(folder, 'mask.png');
      await writeFile(maskFile, encodeTestPng({ width: 9, height: 2, bitDepth: 1, colorType: 0, rows: pack(mask, 1, 9), filters: [2] }));
      expect(Array.from((await readPng(maskFile)).data as Uint8Array)).toEqual(mask);
      expect((await itk(maskFile)).data).toEqual(mask.map((v) => v * 255));
      const grey = [0, 15, 7, 8, 3, 12];
      const greyFile = path.join(folder, 'grey4.png');
      await writeFile(greyFile, encodeTestPng({ width: 3, height: 2, bitDepth: 4, colorType: 0, rows: pack(grey, 4, 3) }));
      expect(Array.from((await readPng(greyFile)).data as Uint8Array)).toEqual(grey);
      expect((await itk(greyFile)).data).toEqual(grey.map((v) => v * 17));
    });
  });

  describe('having a pHYs chunk, and a PNG written by itk-wasm with spacing 0.5 × 0.25', () => {
    it('should ignore pHYs and read the sCAL spacing, as itk-wasm does', async () => {
      const file = path.join(folder, 'phys.png');
      await writeFile(file, encodeTestPng({ width: 2, height: 2, bitDepth: 8, colorType: 0, rows: bytes(4), pixelsPerMetre: [2000, 4000] }));
      expect((await readPng(file)).spacing).toEqual((await itk(file)).spacing);
      const written = path.join(folder, 'itk-written.png');
      await writeImageNode({ imageType: { dimension: 2, componentType: 'uint8', pixelType: 'Scalar', components: 1 }, name: 'x', origin: [0, 0], spacing: [0.5, 0.25], direction: new Float64Array([1, 0, 0, 1]), size: [2, 2], metadata: new Map(), data: new Uint8Array(4) }, written);
      expect((await readPng(written)).spacing).toEqual([0.5, 0.25]);
    });
  });

  describe.skipIf(!existsSync(FIXTURE_PNG))('having a fixture slice', () => {
    it('should agree with itk-wasm', async () => {
      const fast = await readPng(FIXTURE_PNG);
      const reference = await itk(FIXTURE_PNG);
      expect(Array.from(fast.data as Uint8Array)).toEqual(reference.data);
      expect(fast.spacing).toEqual(reference.spacing);
    });
  });

  describe('having a truncated PNG', () => {
    it('should fail with invalid-data naming the file', async () => {
      const file = path.join(folder, 'cut.png');
      const whole = encodeTestPng({ width: 8, height: 8, bitDepth: 8, colorType: 0, rows: bytes(64) });
      await writeFile(file, whole.subarray(0, whole.length - 20));
      await expect(readImage(file)).rejects.toThrow(`Could not read image file ${file}`);
    });
  });
});

describe('writeImage as PNG', () => {
  it('should write 8- and 16-bit images that itk-wasm reads back identically, with the spacing', async () => {
    const images: MedicalImage[] = [
      { data: bytes(12), size: [4, 3], spacing: [0.5, 0.5], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'uint8' },
      { data: Uint16Array.from({ length: 36 }, (_, i) => i * 1800), size: [4, 3], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 3, pixelType: 'uint16' },
    ];
    for (const [i, image] of images.entries()) {
      const file = path.join(folder, `written-${i}.png`);
      await writeImage(file, image);
      const reference = await itk(file);
      expect(reference.data).toEqual(Array.from(image.data as Uint8Array));
      expect(reference.spacing).toEqual(image.spacing);
      expect(reference.components).toBe(image.components);
      expect((await readFile(file)).subarray(1, 4).toString()).toBe('PNG');
    }
  });
});

describe('encodePngSync', () => {
  describe('having a 3×2 RGB image', () => {
    const image: MedicalImage = { data: bytes(18), size: [3, 2], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 3, pixelType: 'uint8' };

    it('should give the same bytes as encodePng, which itk-wasm reads back as the image', async () => {
      const sync = encodePngSync(image);
      expect(sync.equals(await encodePng(image))).toBe(true);
      const file = path.join(folder, 'sync.png');
      await writeFile(file, sync);
      const reference = await itk(file);
      expect(reference.data).toEqual(Array.from(image.data as Uint8Array));
      expect(reference.size).toEqual([3, 2]);
      expect(reference.components).toBe(3);
    });

    describe('when the data holds fewer values than the size asks', () => {
      it('should refuse with invalid-argument naming both counts', () => {
        expect(() => encodePngSync({ ...image, data: bytes(17) })).toThrow(/needs 18 values, not 17/);
      });
    });
  });
});
