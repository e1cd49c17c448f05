import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { flipSpatialAxes, inversePermutation, permuteSpatialAxes } from '../../src/images/spatial-axis-transforms.js';
import { testTimeAugmentations, withTestTimeAugmentation } from '../../src/inference/test-time-augmentation.js';
import { predictWholeImageProbabilities } from '../../src/inference/whole-image-inference.js';
import type { ImageArray } from '../../src/images/image-array.js';
import { boxFilterLogits, pointwiseLogits, pseudoRandomValues } from './inference-test-networks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('spatial axis transforms', () => {
  // 2×3 image, 2 channels: value = 10·row + column, channel 1 negated.
  const image = { data: Float32Array.from([0, -0, 1, -1, 2, -2, 10, -10, 11, -11, 12, -12]), shape: [2, 3, 2] };
  it('having a 2×3×2 array, flipping the columns should reverse each row and keep channels together', () => {
    expect([...flipSpatialAxes(image, [1]).data]).toEqual([2, -2, 1, -1, 0, -0, 12, -12, 11, -11, 10, -10]);
  });
  it('having a 2×3×2 array, transposing should give a 3×2×2 array with value 10·column + row', () => {
    const t = permuteSpatialAxes(image, [1, 0]);
    expect(t.shape).toEqual([3, 2, 2]);
    expect([...t.data]).toEqual([0, -0, 10, -10, 1, -1, 11, -11, 2, -2, 12, -12]);
  });
  it('having a 3D array, a permutation followed by its inverse should give the array back', () => {
    const volume = { data: pseudoRandomValues(2 * 3 * 4 * 2, 5), shape: [2, 3, 4, 2] };
    const there = permuteSpatialAxes(volume, [2, 0, 1]);
    expect(there.shape).toEqual([4, 2, 3, 2]);
    const back = permuteSpatialAxes(there, inversePermutation([2, 0, 1]));
    expect([...back.data]).toEqual([...volume.data]);
  });
});

describe('withTestTimeAugmentation', () => {
  it('having 2 flip axes and three views in 3D, should enumerate 3 × 4 augmentations, the identity first', () => {
    const all = testTimeAugmentations(3, { flipAxes: [1, 2], threeViews: true });
    expect(all).toHaveLength(12);
    expect(all[0]).toEqual({ order: [0, 1, 2], flips: [] });
  });

  describe('having a pointwise 3D network (flip- and transpose-equivariant)', () => {
    it('should equal the plain prediction with all flips and the three views', () => {
      const predict = (image: ImageArray) => predictWholeImageProbabilities(pointwiseLogits([[2, -1]], [0, 0.5]), image, 1);
      const image = { data: pseudoRandomValues(4 * 5 * 6, 2), shape: [4, 5, 6, 1] };
      const augmented = withTestTimeAugmentation(predict, { flipAxes: [0, 1, 2], threeViews: true })(image);
      expect(augmented.shape).toEqual([4, 5, 6, 2]);
      expect(maxDifference(augmented.data, predict(image).data)).toBeLessThan(1e-6);
    });
  });

  describe('having a symmetric 3×3 box filter network in 2D (flip-equivariant, not pointwise)', () => {
    it('should equal the plain prediction with both flips', () => {
      const predict = (image: ImageArray) => predictWholeImageProbabilities(boxFilterLogits, image, 1);
      const image = { data: pseudoRandomValues(7 * 9, 4), shape: [7, 9, 1] };
      const augmented = withTestTimeAugmentation(predict, { flipAxes: [0, 1] })(image);
      expect(maxDifference(augmented.data, predict(image).data)).toBeLessThan(1e-6);
    });
  });

  describe('having a predictor that is not flip-equivariant (probability grows with the column)', () => {
    it('with a column flip, should average p(column) and p(width−1−column): a constant 0.5 per class', () => {
      // p(class 0) = column / (width − 1); flipped and flipped back it becomes 1 − that; the mean is 0.5.
      const predict = (image: ImageArray) => {
        const [h, w] = image.shape;
        const data = new Float32Array(h * w * 2);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            data[(y * w + x) * 2] = x / (w - 1);
            data[(y * w + x) * 2 + 1] = 1 - x / (w - 1);
          }
        return { data, shape: [h, w, 2] };
      };
      const augmented = withTestTimeAugmentation(predict, { flipAxes: [1] })({ data: new Float32Array(12), shape: [3, 4, 1] });
      expect([...augmented.data]).toEqual(new Array(24).fill(0.5));
    });
  });

  describe('when three views are asked of a 2D image', () => {
    it('should throw', () => {
      const predict = (image: ImageArray) => ({ data: image.data, shape: image.shape });
      expect(() => withTestTimeAugmentation(predict, { threeViews: true })({ data: new Float32Array(4), shape: [2, 2, 1] })).toThrow(/3D/);
    });
  });
});
