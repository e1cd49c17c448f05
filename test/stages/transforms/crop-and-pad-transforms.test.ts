import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { CenterCrop } from '../../../src/stages/transforms/center-crop.js';
import { CropWithBoundingBox } from '../../../src/stages/transforms/crop-with-bounding-box.js';
import { CropWithForeground } from '../../../src/stages/transforms/crop-with-foreground.js';
import { Pad } from '../../../src/stages/transforms/pad.js';
import { RandomCrop } from '../../../src/stages/transforms/random-crop.js';
import { RandomResizedCrop } from '../../../src/stages/transforms/random-resized-crop.js';
import { RandomSlice } from '../../../src/stages/transforms/random-slice.js';
import type { ExtendedSample } from '../../../src/graph/sample.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

const values = (a: { data: ArrayLike<number> } | undefined) => Array.from(a!.data);

describe('Pad', () => {
  describe('having a 2×2 image and a minimum size 3×4', () => {
    it('should pad zeros symmetrically, the odd pixel after', () => {
      const out = makeTransform(Pad, { size: [3, 4] }).apply(sampleOf([2, 2], [1, 2, 3, 4], [1, 1, 2, 2]));
      expect(out.image.shape).toEqual([3, 4, 1]);
      expect(values(out.image)).toEqual([0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
      expect(values(out.label)).toEqual([0, 1, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0]);
      expect((out as ExtendedSample).spatialSteps).toEqual([{ kind: 'window', inputSpatial: [2, 2], offset: [0, -1], outputSpatial: [3, 4] }]);
    });
  });
  describe('when the size has the wrong number of axes', () => {
    it('should name the sample, the node and the shape', () => {
      expect(() => makeTransform(Pad, { size: [3, 4, 5] }).apply(sampleOf([2, 2], [1, 2, 3, 4]))).toThrow(
        "test row 1: node's size has 3 entries, but the image has 2 spatial axes (shape 2×2×1)",
      );
    });
  });
});

describe('CenterCrop', () => {
  it('should take the central window of a 3D volume', () => {
    const out = makeTransform(CenterCrop, { size: [1, 2, 2] }).apply(sampleOf([3, 4, 4], ramp(48)));
    // slice 1, rows 1..2, columns 1..2: 16 + 4·1 + 1 = 21
    expect(values(out.image)).toEqual([21, 22, 25, 26]);
    expect(out.image.shape).toEqual([1, 2, 2, 1]);
  });
});

describe('RandomCrop in 3D', () => {
  describe('when the foreground ratio is 1 and class 3 is the focus', () => {
    it('should always contain the focused voxel', () => {
      const label = new Array(4 * 6 * 6).fill(0);
      label[3 * 36 + 5 * 6 + 5] = 3;
      label[0] = 1;
      const stage = makeTransform(RandomCrop, { size: [2, 2, 2], foregroundRatio: 1, foregroundLabels: [3] });
      for (let seed = 0; seed < 20; seed++) {
        const out = stage.apply(sampleOf([4, 6, 6], ramp(144), label), new SeededRandom(seed));
        expect(values(out.label)).toContain(3);
        expect(out.image.shape).toEqual([2, 2, 2, 1]);
      }
    });
  });
  describe('having uniform placement', () => {
    it('should keep image and label aligned', () => {
      const stage = makeTransform(RandomCrop, { size: [2, 3] });
      for (let seed = 0; seed < 10; seed++) {
        const out = stage.apply(sampleOf([4, 5], ramp(20), ramp(20)), new SeededRandom(seed));
        expect(values(out.image)).toEqual(values(out.label));
      }
    });
  });
});

describe('RandomResizedCrop', () => {
  it('should output the requested size, with labels still drawn from the input classes', () => {
    const stage = makeTransform(RandomResizedCrop, { size: [5, 5], scale: [0.25, 0.5] });
    for (let seed = 0; seed < 10; seed++) {
      const out = stage.apply(sampleOf([8, 8], ramp(64), ramp(64).map((v) => v % 3)), new SeededRandom(seed));
      expect(out.image.shape).toEqual([5, 5, 1]);
      expect(values(out.label).every((v) => v >= 0 && v < 3)).toBe(true);
      const steps = (out as ExtendedSample).spatialSteps!;
      expect(steps.map((s) => s.kind)).toEqual(['window', 'affine']);
    }
  });
  describe('when the scale is 1 and the ratio 1', () => {
    it('should resize the whole image (identity at the same size)', () => {
      const out = makeTransform(RandomResizedCrop, { size: [4, 4], scale: [1, 1], ratio: [1, 1] }).apply(sampleOf([4, 4], ramp(16)), new SeededRandom(3));
      expect(values(out.image)).toEqual(ramp(16));
    });
  });
});

describe('RandomSlice', () => {
  it('should return one slice of the volume with its label and the 2D spacing', () => {
    const sample = { ...sampleOf([3, 2, 2], ramp(12), ramp(12)), spacing: [5, 1, 2] };
    const out = makeTransform(RandomSlice, {}).apply(sample, new SeededRandom(4));
    const index = ((out as ExtendedSample).spatialSteps![0] as { index: number }).index;
    expect(values(out.image)).toEqual([0, 1, 2, 3].map((v) => v + 4 * index));
    expect(values(out.label)).toEqual(values(out.image));
    expect(out.image.shape).toEqual([2, 2, 1]);
    expect(out.spacing).toEqual([1, 2]);
  });
  it('should pick the foreground slice when the foreground ratio is 1', () => {
    const label = new Array(12).fill(0);
    label[9] = 1;
    for (let seed = 0; seed < 5; seed++) {
      const out = makeTransform(RandomSlice, { foregroundRatio: 1 }).apply(sampleOf([3, 2, 2], ramp(12), label), new SeededRandom(seed));
      expect(values(out.label)).toContain(1);
    }
  });
  it('should refuse a 2D sample, naming it', () => {
    expect(() => makeTransform(RandomSlice, {}).apply(sampleOf([2, 2], ramp(4)), new SeededRandom(0))).toThrow('test row 1: node slices 3D images');
  });
});

describe('CropWithBoundingBox', () => {
  it('should cut a box at a given start', () => {
    const out = makeTransform(CropWithBoundingBox, { start: [1, 2], size: [2, 2] }).apply(sampleOf([4, 4], ramp(16)));
    expect(values(out.image)).toEqual([6, 7, 10, 11]);
  });
  it('should centre the box on the non-background of the image when no start is given', () => {
    const image = new Array(36).fill(0);
    image[2 * 6 + 3] = 5;
    image[3 * 6 + 4] = 6;
    // bounding box rows 2..3, columns 3..4, centre (3, 4) → a 2×2 box starts at (2, 3)
    const out = makeTransform(CropWithBoundingBox, { size: [2, 2] }).apply(sampleOf([6, 6], image));
    expect(values(out.image)).toEqual([5, 0, 0, 6]);
  });
});

describe('CropWithForeground', () => {
  it('should crop to the foreground bounding box plus the margin, clipped to the image', () => {
    const label = new Array(25).fill(0);
    label[1 * 5 + 2] = 2;
    label[2 * 5 + 3] = 1;
    const out = makeTransform(CropWithForeground, { margin: [1, 1] }).apply(sampleOf([5, 5], ramp(25), label));
    // rows 1..2 ± 1 → 0..3, columns 2..3 ± 1 → 1..4
    expect(out.image.shape).toEqual([4, 4, 1]);
    expect(values(out.image).slice(0, 4)).toEqual([1, 2, 3, 4]);
  });
  it('should use only the listed foreground classes', () => {
    const label = [0, 0, 0, 1, 0, 0, 0, 0, 2];
    const out = makeTransform(CropWithForeground, { foregroundLabels: [2] }).apply(sampleOf([3, 3], ramp(9), label));
    expect(values(out.image)).toEqual([8]);
  });
  it('should refuse an unlabelled sample', () => {
    expect(() => makeTransform(CropWithForeground, {}).apply(sampleOf([3, 3], ramp(9)))).toThrow('test row 1: node needs a label map');
  });
});
