import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { RandomRescale } from '../../../src/stages/transforms/random-rescale.js';
import { Resample } from '../../../src/stages/transforms/resample.js';
import { Rescale } from '../../../src/stages/transforms/rescale.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

const values = (a: { data: ArrayLike<number> } | undefined) => Array.from(a!.data);

describe('Rescale', () => {
  describe('when doubling a 2×2 image', () => {
    it('should interpolate the image linearly, repeat the label and halve the spacing', () => {
      const out = makeTransform(Rescale, { size: [4, 4] }).apply({ ...sampleOf([2, 2], [0, 4, 8, 12], [0, 1, 2, 3]), spacing: [2, 3] });
      // Rows: positions −0.25 (edge), 0.25, 0.75, 1.25 (edge) → weights of rows 0/1: 1/0, .75/.25, .25/.75, 0/1; same for columns.
      expect(values(out.image).slice(0, 4)).toEqual([0, 1, 3, 4]);
      expect(values(out.image).slice(4, 8)).toEqual([2, 3, 5, 6]);
      expect(values(out.label)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
      expect(out.spacing).toEqual([1, 1.5]);
    });
  });
});

describe('RandomRescale', () => {
  it('should draw one factor for all axes within the range', () => {
    const stage = makeTransform(RandomRescale, { ratio: [0.5, 2] });
    const sizes = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const shape = stage.apply(sampleOf([10, 10], ramp(100)), new SeededRandom(seed)).image.shape;
      expect(shape[0]).toBe(shape[1]);
      expect(shape[0]).toBeGreaterThanOrEqual(5);
      expect(shape[0]).toBeLessThanOrEqual(20);
      sizes.add(shape.join());
    }
    expect(sizes.size).toBeGreaterThan(5);
  });
  it('should draw separate factors with independentAxes', () => {
    const stage = makeTransform(RandomRescale, { ratio: [0.5, 2], independentAxes: true });
    const shapes = Array.from({ length: 20 }, (_, seed) => stage.apply(sampleOf([10, 10], ramp(100)), new SeededRandom(seed)).image.shape);
    expect(shapes.some((s) => s[0] !== s[1])).toBe(true);
  });
});

describe('Resample', () => {
  describe('having a 3D volume at spacing [4, 1, 1] and a target of [2, 2, 2]', () => {
    it('should double the slices, halve rows and columns, keep the first point, and report the target spacing', () => {
      const volume = ramp(2 * 4 * 4).map((i) => Math.floor(i / 16) * 10);
      const out = makeTransform(Resample, { spacing: [2, 2, 2] }).apply({ ...sampleOf([2, 4, 4], volume, volume.map((v) => v / 10)), spacing: [4, 1, 1] });
      expect(out.image.shape).toEqual([4, 2, 2, 1]);
      expect(out.spacing).toEqual([2, 2, 2]);
      // slice positions 0, 0.5, 1, 1.5(edge) of values 0 and 10
      expect(values(out.image).filter((_, i) => i % 4 === 0)).toEqual([0, 5, 10, 10]);
      expect(values(out.label).filter((_, i) => i % 4 === 0)).toEqual([0, 1, 1, 1]);
    });
  });
  it('should treat a sample without spacing as 1 mm', () => {
    const { spacing: _, ...noSpacing } = sampleOf([4, 4], ramp(16));
    expect(makeTransform(Resample, { spacing: [2, 2] }).apply(noSpacing).image.shape).toEqual([2, 2, 1]);
  });
});
