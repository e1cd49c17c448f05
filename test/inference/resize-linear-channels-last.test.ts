import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { resizeLinearChannelsLast } from '../../src/inference/resize-linear-channels-last.js';
import { resampleAffine, resizeAffine } from '../../src/images/interpolation.js';
import { pseudoRandomValues } from './inference-test-networks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The transform library's resize (a second, point-by-point implementation) of one channels-last image. */
function referenceResize(data: Float32Array, spatial: number[], channels: number, outputSpatial: number[]): Float32Array {
  return resampleAffine({ data, spatial, channels }, outputSpatial, resizeAffine(spatial, outputSpatial), 'linear').data;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tolerance);
}

describe('resizeLinearChannelsLast', () => {
  describe('having a 1×2 row upsampled to 1×4', () => {
    it('should read positions −¼ (clamped), ¼, ¾ and 1¼ (clamped): [1, 1.25, 1.75, 2]', () => {
      const out = resizeLinearChannelsLast(tf.tensor4d([1, 2], [1, 1, 2, 1]), [1, 4]);
      expect(out.shape).toEqual([1, 1, 4, 1]);
      expectClose(out.dataSync(), [1, 1.25, 1.75, 2]);
      out.dispose();
    });
  });

  describe('having a 2D batch of two 3-channel images upsampled ×2 and ×4 (a U-Net\'s coarse outputs)', () => {
    it('should equal the transform library\'s point-by-point resize for each image', () => {
      const [h, w, c] = [3, 5, 3];
      const values = pseudoRandomValues(2 * h * w * c, 4);
      for (const factor of [2, 4]) {
        const out = resizeLinearChannelsLast(tf.tensor4d(values, [2, h, w, c]), [h * factor, w * factor]);
        expect(out.shape).toEqual([2, h * factor, w * factor, c]);
        const data = out.dataSync();
        const size = h * factor * w * factor * c;
        for (let b = 0; b < 2; b++) {
          const expected = referenceResize(values.slice(b * h * w * c, (b + 1) * h * w * c), [h, w], c, [h * factor, w * factor]);
          expectClose(data.subarray(b * size, (b + 1) * size), expected);
        }
        out.dispose();
      }
    });
  });

  describe('having a 3D image resized to an anisotropic size (up on two axes, down on one)', () => {
    it('should equal the transform library\'s trilinear resize', () => {
      const [d, h, w, c] = [2, 3, 6, 2];
      const values = pseudoRandomValues(d * h * w * c, 9);
      const target = [4, 9, 3];
      const out = resizeLinearChannelsLast(tf.tensor5d(values, [1, d, h, w, c]), target);
      expect(out.shape).toEqual([1, ...target, c]);
      expectClose(out.dataSync(), referenceResize(values, [d, h, w], c, target));
      out.dispose();
    });
  });

  describe('when resizing', () => {
    it('should leave no tensors behind but its result, even at the same size', () => {
      const input = tf.tensor4d(pseudoRandomValues(16, 1), [1, 4, 4, 1]);
      const before = tf.memory().numTensors;
      const same = resizeLinearChannelsLast(input, [4, 4]);
      const larger = resizeLinearChannelsLast(input, [8, 8]);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect([...same.dataSync()]).toEqual([...input.dataSync()]);
      tf.dispose([input, same, larger]);
    });
  });
});
