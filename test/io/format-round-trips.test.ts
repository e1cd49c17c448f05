import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';

const c = Math.cos(0.4);
const s = Math.sin(0.4);
const images: Record<string, MedicalImage> = {
  'an oblique 3D int16 volume': {
    data: Int16Array.from({ length: 5 * 4 * 3 }, (_, i) => i * 7 - 100),
    size: [5, 4, 3],
    spacing: [0.8, 1.2, 3],
    origin: [-12.5, 40, 7.25],
    direction: [c, 0, s, 0, 1, 0, -s, 0, c],
    components: 1,
    pixelType: 'int16',
  },
  'a rotated 2D float32 slice': {
    data: Float32Array.from({ length: 12 }, (_, i) => Math.sqrt(i)),
    size: [4, 3],
    spacing: [0.6, 0.9],
    origin: [3, -4],
    direction: [c, -s, s, c],
    components: 1,
    pixelType: 'float32',
  },
};

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'micflow-formats-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('writeImage then readImage', () => {
  for (const extension of ['nii', 'nii.gz', 'nrrd', 'mha']) {
    for (const [name, image] of Object.entries(images)) {
      describe(`having ${name} written as .${extension}`, () => {
        it('should read back the same values, size, spacing, origin and direction', async () => {
          const file = path.join(folder, `${name.replace(/\W+/g, '-')}.${extension}`);
          await writeImage(file, image);
          const back = await readImage(file);
          expect(back.size).toEqual(image.size);
          expect(back.pixelType).toBe(image.pixelType);
          expect(Array.from(back.data as Int16Array)).toEqual(Array.from(image.data as Int16Array));
          back.spacing.forEach((v, i) => expect(v).toBeCloseTo(image.spacing[i], 5));
          back.origin.forEach((v, i) => expect(v).toBeCloseTo(image.origin[i], 4));
          expect(back.direction.length).toBe(image.direction.length);
          back.direction.forEach((v, i) => expect(v).toBeCloseTo(image.direction[i], 5));
        });
      });
    }
  }
});

describe('2D formats read and written by itk-wasm', () => {
  const grey = (): MedicalImage => ({ data: Uint8Array.from({ length: 24 }, (_, i) => i * 10), size: [6, 4], spacing: [0.5, 0.5], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'uint8' });
  it('should round-trip a grey TIFF exactly, spacing included', async () => {
    const file = path.join(folder, 'grey.tif');
    await writeImage(file, grey());
    const back = await readImage(file);
    expect(Array.from(back.data as Uint8Array)).toEqual(Array.from(grey().data as Uint8Array));
    back.spacing.forEach((v) => expect(v).toBeCloseTo(0.5, 6));
  });
  it('should round-trip a grey JPEG within its lossy error, and a grey BMP as three equal RGB channels (itk-wasm reads 8-bit BMP palettes as RGB)', async () => {
    const jpeg = path.join(folder, 'grey.jpg');
    await writeImage(jpeg, grey());
    const back = await readImage(jpeg);
    expect(back.size).toEqual([6, 4]);
    (back.data as Uint8Array).forEach((v, i) => expect(Math.abs(v - i * 10)).toBeLessThanOrEqual(3));
    const bmp = path.join(folder, 'grey.bmp');
    await writeImage(bmp, grey());
    const rgb = await readImage(bmp);
    expect(rgb.components).toBe(3);
    expect(Array.from(rgb.data as Uint8Array).filter((_, i) => i % 3 === 0)).toEqual(Array.from(grey().data as Uint8Array));
  });
});
