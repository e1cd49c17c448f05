import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMicflowError, MicflowError } from '../../src/errors/micflow-error.js';
import { pixelCount, toFloat32, type MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/brain-mr-2d');

async function expectInvalidData(promise: Promise<unknown>, file: string): Promise<MicflowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMicflowError(error)).toBe(true);
  const micflowError = error as MicflowError;
  expect(micflowError.kind).toBe('invalid-data');
  expect(micflowError.message).toContain(file);
  return micflowError;
}

describe('readImage', () => {
  describe('having a fixture PNG image and its label map', () => {
    it('when reading the image, should give a 112×96 uint8 slice with real MR intensities', async () => {
      const image = await readImage(path.join(FIXTURE, 'image/z075.png'));
      expect(image.size).toEqual([112, 96]);
      expect(image.components).toBe(1);
      expect(image.pixelType).toBe('uint8');
      expect(image.data).toBeInstanceOf(Uint8Array);
      expect(image.data.length).toBe(112 * 96);
      const values = toFloat32(image);
      // Colin27 T1 on this slice: ventricles (CSF) near 25, white matter near 120.
      expect(values.reduce((m, v) => Math.min(m, v), 255)).toBe(25);
      expect(values.reduce((m, v) => Math.max(m, v), 0)).toBe(123);
    });

    it('when reading the label map, should give values in 0..4 only', async () => {
      const label = await readImage(path.join(FIXTURE, 'label/z075.png'));
      expect(label.size).toEqual([112, 96]);
      expect(new Set(label.data as Uint8Array)).toEqual(new Set([0, 1, 2, 3, 4]));
    });
  });

  describe('having a file that is not there', () => {
    it('when reading it, should fail with invalid-data naming the file', async () => {
      const file = path.join(tmpdir(), 'micflow-no-such-image.nii.gz');
      await expectInvalidData(readImage(file), file);
    });
  });

  describe('having a folder with a garbage file', () => {
    let folder: string;
    beforeAll(async () => {
      folder = await mkdtemp(path.join(tmpdir(), 'micflow-read-image-'));
    });
    afterAll(async () => rm(folder, { recursive: true, force: true }));

    it('when reading a garbage .png, should fail with invalid-data naming the file', async () => {
      const file = path.join(folder, 'garbage.png');
      await writeFile(file, Buffer.from('this is not a PNG file, just some text pretending to be one'.repeat(20)));
      await expectInvalidData(readImage(file), file);
    });

    it('when reading a garbage .nii.gz, should fail with invalid-data naming the file', async () => {
      const file = path.join(folder, 'garbage.nii.gz');
      await writeFile(file, Buffer.alloc(400, 7));
      await expectInvalidData(readImage(file), file);
    });
  });
});

describe('writeImage', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'micflow-write-image-'));
  });
  afterAll(async () => rm(folder, { recursive: true, force: true }));

  const synthetic = (): MedicalImage => {
    const size = [5, 4, 3];
    const data = new Float32Array(pixelCount({ size }));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 100 - 0.25 * i;
    return { data, size, spacing: [0.5, 0.75, 2.5], origin: [10, -20.5, 3], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], components: 1, pixelType: 'float32' };
  };

  for (const extension of ['nii.gz', 'nrrd', 'mha']) {
    describe(`having a small synthetic 3D float32 image written as .${extension}`, () => {
      it('when read back, should keep data, spacing and origin, and leave no temporary file', async () => {
        const image = synthetic();
        const file = path.join(folder, `round-trip.${extension}`);
        await writeImage(file, image);
        const back = await readImage(file);
        expect(back.size).toEqual(image.size);
        expect(back.pixelType).toBe('float32');
        expect(Array.from(back.data as Float32Array)).toEqual(Array.from(image.data as Float32Array));
        back.spacing.forEach((s, i) => expect(s).toBeCloseTo(image.spacing[i], 5));
        back.origin.forEach((o, i) => expect(o).toBeCloseTo(image.origin[i], 5));
        back.direction.forEach((d, i) => expect(d).toBeCloseTo(image.direction[i], 6));
        expect((await readdir(folder)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
      });
    });
  }

  describe('having a uint8 2D image written as PNG', () => {
    it('when read back, should keep data and spacing (PNG stores no origin)', async () => {
      const data = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
      const file = path.join(folder, 'round-trip.png');
      await writeImage(file, { data, size: [6, 4], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'uint8' });
      const back = await readImage(file);
      expect(back.size).toEqual([6, 4]);
      expect(back.data).toEqual(data);
      expect(back.spacing).toEqual([1, 1]);
    });
  });

  describe('having an image whose data does not match its size', () => {
    it('when writing, should fail with invalid-data and write nothing', async () => {
      const file = path.join(folder, 'inconsistent.nrrd');
      const image = { ...synthetic(), data: new Float32Array(7) };
      await expectInvalidData(writeImage(file, image), file);
      expect(await readdir(folder)).not.toContain('inconsistent.nrrd');
    });
  });

  describe('having a folder that does not exist', () => {
    it('when writing into it, should fail with invalid-data naming the file', async () => {
      const file = path.join(folder, 'missing-folder', 'x.nrrd');
      await expectInvalidData(writeImage(file, synthetic()), file);
    });
  });
});
