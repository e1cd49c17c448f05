import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { ElasticDeformation } from '../../../src/stages/transforms/elastic-deformation.js';
import { Affine } from '../../../src/stages/transforms/random-affine.js';
import { RandomFlip } from '../../../src/stages/transforms/random-flip.js';
import { RandomRot90 } from '../../../src/stages/transforms/random-rot90.js';
import { RandomRotate } from '../../../src/stages/transforms/random-rotate.js';
import { RandomTranspose } from '../../../src/stages/transforms/random-transpose.js';
import type { ExtendedSample } from '../../../src/graph/sample.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

const values = (a: { data: ArrayLike<number> } | undefined) => Array.from(a!.data);

describe('RandomFlip in 3D', () => {
  it('should flip the slices with depth probability 1 and leave 2D samples alone for depth', () => {
    const out = makeTransform(RandomFlip, { horizontal: 0, depth: 1 }).apply(sampleOf([2, 1, 2], [1, 2, 3, 4], [1, 2, 3, 4]), new SeededRandom(0));
    expect(values(out.image)).toEqual([3, 4, 1, 2]);
    expect(values(out.label)).toEqual([3, 4, 1, 2]);
    const flat = sampleOf([2, 2], [1, 2, 3, 4]);
    expect(makeTransform(RandomFlip, { horizontal: 0, depth: 1 }).apply(flat, new SeededRandom(0))).toBe(flat);
  });
});

describe('RandomRotate', () => {
  describe('when the angle is exactly 90°', () => {
    it('should match numpy.rot90(k = −1) on a square image and label', () => {
      const out = makeTransform(RandomRotate, { angleRange: [90, 90] }).apply(sampleOf([3, 3], ramp(9), ramp(9)), new SeededRandom(0));
      expect(values(out.image).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
      expect(values(out.label)).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
    });
  });
  it('should keep the size of a 3D volume rotated in several planes', () => {
    const stage = makeTransform(RandomRotate, { angleRange: [-10, 10], angleRangeDepthRows: [-10, 10], angleRangeDepthColumns: [-10, 10] });
    const out = stage.apply(sampleOf([3, 4, 5], ramp(60), ramp(60).map((v) => v % 2)), new SeededRandom(2));
    expect(out.image.shape).toEqual([3, 4, 5, 1]);
    expect(values(out.label).every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe('RandomRot90', () => {
  it('should rotate image and label by the same quarter turns and swap the spacing of a non-square image when odd', () => {
    const stage = makeTransform(RandomRot90, { probability: 1 });
    for (let seed = 0; seed < 10; seed++) {
      const out = stage.apply({ ...sampleOf([2, 3], ramp(6), ramp(6)), spacing: [1, 2] }, new SeededRandom(seed)) as ExtendedSample;
      const turns = (out.spatialSteps![0] as { turns: number }).turns;
      expect(values(out.image)).toEqual(values(out.label));
      expect(out.image.shape).toEqual(turns % 2 ? [3, 2, 1] : [2, 3, 1]);
      expect(out.spacing).toEqual(turns % 2 ? [2, 1] : [1, 2]);
    }
  });
});

describe('RandomTranspose', () => {
  it('should swap rows and columns with probability 1', () => {
    const out = makeTransform(RandomTranspose, { probability: 1 }).apply(sampleOf([2, 3], ramp(6), ramp(6)), new SeededRandom(0));
    expect(values(out.image)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(values(out.label)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('should draw a non-identity permutation of three axes', () => {
    const stage = makeTransform(RandomTranspose, { axes: [0, 1, 2], probability: 1 });
    for (let seed = 0; seed < 10; seed++) {
      const out = stage.apply(sampleOf([2, 3, 4], ramp(24)), new SeededRandom(seed)) as ExtendedSample;
      expect((out.spatialSteps![0] as { kind: string; permutation?: readonly number[] }).permutation).not.toEqual([0, 1, 2]);
    }
  });
});

describe('Affine', () => {
  describe('when the zoom is exactly 2 on a 4×4 image', () => {
    it('should read the centre 2×2 region enlarged', () => {
      const out = makeTransform(Affine, { scale: [2, 2] }).apply(sampleOf([4, 4], ramp(16), ramp(16)), new SeededRandom(0));
      // output offset from centre 1.5 maps to input offset / 2: output 0 → input 0.75
      expect(values(out.label)).toEqual([5, 5, 6, 6, 5, 5, 6, 6, 9, 9, 10, 10, 9, 9, 10, 10]);
      expect(out.image.data[0]).toBeCloseTo(0.75 * 4 + 0.75, 5);
    });
  });
  describe('when the shear is 1', () => {
    it('should shift columns by the row offset from the centre', () => {
      const out = makeTransform(Affine, { shear: [1, 1] }).apply(sampleOf([3, 3], ramp(9), ramp(9)), new SeededRandom(0));
      // output (r, c) reads (r, c + (r − 1)): row 0 reads columns −1, 0, 1
      expect(values(out.label)).toEqual([0, 0, 1, 3, 4, 5, 7, 8, 0]);
    });
  });
});

describe('ElasticDeformation', () => {
  it('should be the identity when alpha is 0 and keep labels within their classes otherwise', () => {
    const sample = sampleOf([8, 8], ramp(64), ramp(64).map((v) => v % 3));
    const none = makeTransform(ElasticDeformation, { alpha: 0, probability: 1 }).apply(sample, new SeededRandom(0));
    expect(values(none.image)).toEqual(ramp(64));
    const out = makeTransform(ElasticDeformation, { alpha: 3, sigma: 2, probability: 1 }).apply(sample, new SeededRandom(0));
    expect(values(out.image)).not.toEqual(ramp(64));
    expect(values(out.label).every((v) => v >= 0 && v < 3)).toBe(true);
    expect((out as ExtendedSample).spatialSteps![0].kind).toBe('deformation');
  });
});
