import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { averagePoolBlocks } from '../../../src/runtime/ops/average-pool-blocks.js';
import { BACKENDS, expectClose, input, pseudoRandom, referenceGradient, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** Block means of a [1, D, H, W, 1] volume by direct summation. */
function referencePool(shape: number[], f: number[]) {
  const [, d, h, w] = shape;
  return ([x]: Float64Array[]): Float64Array => {
    const out = new Float64Array((d / f[0]) * (h / f[1]) * (w / f[2]));
    for (let z = 0; z < d; z++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const o = (Math.floor(z / f[0]) * (h / f[1]) + Math.floor(y / f[1])) * (w / f[2]) + Math.floor(xx / f[2]);
          out[o] += x[(z * h + y) * w + xx] / (f[0] * f[1] * f[2]);
        }
    return out;
  };
}

describe('averagePoolBlocks', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('having a 2x4 image and 2x2 blocks, should give the two block means', () => {
      const y = tf.tidy(() => averagePoolBlocks(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1]), [2, 2]).dataSync());
      expectClose(y, [(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4], 1e-6);
    });

    it('having a 1x2x4x6x1 volume and 2x2x3 blocks, should match direct summation in value and gradient', () => {
      const shape = [1, 2, 4, 6, 1];
      const x = input(shape, 3);
      const projection = pseudoRandom(4, 5);
      const { y, grads } = tfValueAndGradients((t) => averagePoolBlocks(t, [2, 2, 3]), [x], projection);
      expectClose(y, referencePool(shape, [2, 2, 3])([Float64Array.from(x.values)]), 1e-5);
      expectClose(grads[0], referenceGradient(referencePool(shape, [2, 2, 3]), [x], projection, 0), 1e-4);
    });

    it('having a block size that does not divide the image, should throw', () => {
      expect(() => averagePoolBlocks(tf.zeros([1, 3, 4, 1]), [2, 2])).toThrow(/must divide/);
    });
  });
});
