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
