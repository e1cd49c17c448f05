import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readImageNode } from '@itk-wasm/image-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { quaternionToRotation, rotationToQuaternion } from '../../src/io/nifti-format.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { readNifti } from '../../src/io/read-nifti.js';
import { encodeNifti } from '../../src/io/write-nifti.js';

const MRICRON = '/usr/share/mricron/templates';
const hasMricron = existsSync(path.join(MRICRON, 'ch2.nii.gz'));

/** What itk-wasm (the reference reader) reports, in MedicalImage form. */
async function readWithItk(file: string): Promise<MedicalImage> {
  const image = await readImageNode(file);
  return {
    data: image.data as MedicalImage['data'],
    size: Array.from(image.size),
    spacing: Array.from(image.spacing),
    origin: Array.from(image.origin),
    direction: Array.from(image.direction as ArrayLike<number>, (v) => v + 0),
    components: image.imageType.components,
    pixelType: image.imageType.componentType as MedicalImage['pixelType'],
  };
}

function expectSameImage(fast: MedicalImage, reference: MedicalImage): void {
  expect(fast.size).toEqual(reference.size);
  expect(fast.pixelType).toBe(reference.pixelType);
  expect(fast.components).toBe(reference.components);
  fast.spacing.forEach((v, i) => expect(v).toBeCloseTo(reference.spacing[i], 4));
  fast.origin.forEach((v, i) => expect(v).toBeCloseTo(reference.origin[i], 4));
  expect(fast.direction.length).toBe(reference.direction.length);
  fast.direction.forEach((v, i) => expect(v).toBeCloseTo(reference.direction[i], 4));
  expect(fast.data.length).toBe(reference.data.length);
  expect(Buffer.from(fast.data.buffer, fast.data.byteOffset, fast.data.byteLength).equals(Buffer.from(reference.data.buffer, reference.data.byteOffset, reference.data.byteLength))).toBe(true);
}

const c = Math.cos(0.3);
const s = Math.sin(0.3);
/** A small oblique int16 volume with a non-trivial origin. */
const oblique = (): MedicalImage => ({
  data: Int16Array.from({ length: 24 }, (_, i) => i * 3 - 20),
  size: [4, 3, 2],
  spacing: [0.5, 1.5, 2],
  origin: [10, -20, 30],
  direction: [c, -s, 0, s, c, 0, 0, 0, 1],
  components: 1,
  pixelType: 'int16',
});

/** Rewrites a little-endian NIfTI-1 buffer as big endian (every numeric header field and the voxel data). */
function toBigEndian(le: Buffer, componentBytes: number): Buffer {
  const be = Buffer.from(le);
  const swap = (offset: number, width: number) => be.subarray(offset, offset + width).reverse();
  swap(0, 4);
  for (let o = 40; o < 56; o += 2) swap(o, 2); // dim
  for (let o = 56; o < 68; o += 4) swap(o, 4); // intent_p1..3
  for (const o of [68, 70, 72, 74, 120, 252, 254]) swap(o, 2);
  for (let o = 76; o < 120; o += 4) swap(o, 4); // pixdim, vox_offset, scl_slope, scl_inter
  for (let o = 124; o < 140; o += 4) swap(o, 4); // cal_max, cal_min, slice_duration, toffset
  for (let o = 256; o < 328; o += 4) swap(o, 4); // quatern, qoffset, srow
  for (let o = 352; o < be.length; o += componentBytes) swap(o, componentBytes);
  return be;
}

describe('readNifti', () => {
  describe.skipIf(!hasMricron)('having the Colin27 T1 and AAL atlas from mricron-data (sform code MNI, no qform)', () => {
    for (const name of ['ch2.nii.gz', 'aal.nii.gz']) {
      it(`should agree with itk-wasm on ${name}: data, size, spacing, LPS origin and direction`, async () => {
        const file = path.join(MRICRON, name);
        const fast = await readNifti(file);
        expectSameImage(fast, await readWithItk(file));
        expect(fast.origin).toEqual([90, 125, -71]);
      });
    }
  });

  describe('having synthetic files with each header variant', () => {
    let folder: string;
    beforeAll(async () => {
      folder = await mkdtemp(path.join(tmpdir(), 'micflow-nifti-'));
    });
    afterAll(async () => rm(folder, { recursive: true, force: true }));

    const variants: Record<string, (b: Buffer) => Buffer> = {
      'qform and sform (scanner)': (b) => b,
      'qform only': (b) => (b.writeInt16LE(0, 254), b),
      'sform only': (b) => (b.writeInt16LE(0, 252), b),
      'neither transform': (b) => (b.writeInt16LE(0, 252), b.writeInt16LE(0, 254), b),
      'an MNI sform that disagrees with the qform': (b) => (b.writeInt16LE(4, 254), b.writeFloatLE(99, 292), b),
      'a scanner sform that disagrees with an aligned qform': (b) => (b.writeInt16LE(2, 252), b.writeFloatLE(99, 292), b),
      'scl_slope 2 and scl_inter −1': (b) => (b.writeFloatLE(2, 112), b.writeFloatLE(-1, 116), b),
      'scl_slope 0 (meaning 1) and scl_inter 5': (b) => (b.writeFloatLE(0, 112), b.writeFloatLE(5, 116), b),
      'a sheared sform (ITK falls back to the qform)': (b) => (b.writeFloatLE(0.3, 284), b),
      'big-endian byte order': (b) => toBigEndian(b, 2),
    };
    for (const [name, edit] of Object.entries(variants)) {
      it(`should agree with itk-wasm for ${name}`, async () => {
        const file = path.join(folder, `${name.replace(/\W+/g, '-')}.nii`);
        await writeFile(file, edit(Buffer.from(encodeNifti(oblique()))));
        expectSameImage(await readNifti(file), await readWithItk(file));
      });
    }

    it('should agree with itk-wasm on a gzipped big-endian float64 file', async () => {
      const image: MedicalImage = { ...oblique(), data: Float64Array.from({ length: 24 }, (_, i) => Math.sin(i) * 1e3), pixelType: 'float64' };
      const file = path.join(folder, 'be-double.nii.gz');
      await writeFile(file, gzipSync(toBigEndian(Buffer.from(encodeNifti(image)), 8)));
      expectSameImage(await readNifti(file), await readWithItk(file));
    });

    it('should agree with itk-wasm on a 2D image and on a 3-component vector image', async () => {
      const flat: MedicalImage = { data: Uint8Array.from({ length: 12 }, (_, i) => i), size: [4, 3], spacing: [0.7, 0.9], origin: [1, 2], direction: [0, 1, 1, 0], components: 1, pixelType: 'uint8' };
      const vector: MedicalImage = { ...oblique(), data: Float32Array.from({ length: 72 }, (_, i) => i / 7), components: 3, pixelType: 'float32' };
      for (const [name, image] of [['flat.nii', flat], ['vector.nii', vector]] as const) {
        const file = path.join(folder, name);
        await writeFile(file, encodeNifti(image));
        expectSameImage(await readNifti(file), await readWithItk(file));
      }
    });

    it('should fail with invalid-data naming the file when the voxel data or the gzip stream is truncated', async () => {
      const file = path.join(folder, 'truncated.nii');
      await writeFile(file, encodeNifti(oblique()).subarray(0, 370));
      await expect(readNifti(file)).rejects.toThrow(`Could not read image file ${file}: truncated (18 bytes of voxel data, 4×3×2×1 int16 needs 48)`);
      const gz = path.join(folder, 'truncated.nii.gz');
      await writeFile(gz, gzipSync(encodeNifti(oblique())).subarray(0, 60));
      await expect(readNifti(gz)).rejects.toThrow(`Could not read image file ${gz}`);
    });
  });
});

describe('writeImage as NIfTI', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'micflow-nifti-write-'));
  });
  afterAll(async () => rm(folder, { recursive: true, force: true }));

  describe('having an oblique volume whose direction is a reflection (determinant −1)', () => {
    it('should be read back by itk-wasm with the same data and geometry, from .nii and .nii.gz', async () => {
      const image: MedicalImage = { ...oblique(), direction: [c, s, 0, s, -c, 0, 0, 0, 1] };
      for (const name of ['reflected.nii', 'reflected.nii.gz']) {
        const file = path.join(folder, name);
        await writeImage(file, image);
        expectSameImage(await readWithItk(file), image);
        expectSameImage(await readImage(file), image);
      }
      expect((await readFile(path.join(folder, 'reflected.nii.gz'))).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    });
  });
});

describe('quaternion conversions', () => {
  it('should turn a rotation into a quaternion and back (with and without reflection)', () => {
    const rotations = [
      [c, -s, 0, s, c, 0, 0, 0, 1],
      [-1, 0, 0, 0, -1, 0, 0, 0, 1],
      [1, 0, 0, 0, -1, 0, 0, 0, -1],
      [0, 0, 1, 1, 0, 0, 0, 1, 0],
      [c, s, 0, s, -c, 0, 0, 0, 1],
    ];
    for (const r of rotations) {
      const { b, c: qc, d, qfac } = rotationToQuaternion(r);
      quaternionToRotation(b, qc, d, qfac).forEach((v, i) => expect(v).toBeCloseTo(r[i], 6));
    }
  });
});
