import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxPool3d2x2x2 } from '../../../src/runtime/ops/max-pool-3d-2x2x2.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** 2x2x2 max pool, stride 2, trailing odd slices dropped, by direct search. */
function referencePool(shape: number[]) {
  const [n, d, h, w, c] = shape;
  const out = [n, Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2), c];
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(out.reduce((a, b) => a * b, 1));
    for (let ni = 0; ni < n; ni++)
      for (let z = 0; z < out[1]; z++)
        for (let r = 0; r < out[2]; r++)
          for (let col = 0; col < out[3]; col++)
            for (let ci = 0; ci < c; ci++) {
              let best = -Infinity;
              for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let e = 0; e < 2; e++) best = Math.max(best, x[index(shape, ni, 2 * z + a, 2 * r + b, 2 * col + e, ci)]);
              y[index(out, ni, z, r, col, ci)] = best;
            }
    return y;
  };
}

describe('maxPool3d2x2x2', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each([
      { name: 'a 2x4x4x6x3 volume', shape: [2, 4, 4, 6, 3] },
      { name: 'a 1x5x3x4x2 volume (odd depth and height)', shape: [1, 5, 3, 4, 2] },
    ])('having $name', ({ shape }) => {
      const x = input(shape, 7);
      const outSize = shape[0] * Math.floor(shape[1] / 2) * Math.floor(shape[2] / 2) * Math.floor(shape[3] / 2) * shape[4];
      const projection = pseudoRandom(outSize, 8);
      it('should match the direct search in value and gradient', () => {
        const { y, grads } = tfValueAndGradients((t) => maxPool3d2x2x2(t as tf.Tensor5D), [x], projection);
        expectClose(y, referencePool(shape)([Float64Array.from(x.values)]), 1e-6);
        expectClose(grads[0], referenceGradient(referencePool(shape), [x], projection, 0), 1e-4);
      });
    });

    it('having an all-zero window, should send its gradient to one element only (the first, as PyTorch)', () => {
      const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(maxPool3d2x2x2(t as tf.Tensor5D)))(tf.zeros([1, 2, 2, 2, 1])).dataSync());
      expect(Array.from(g)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    });

    it('should leave no tensors behind', () => {
      const x = tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D;
      const before = tf.memory().numTensors;
      maxPool3d2x2x2(x).dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
});
