import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { transposedConv3d2x2x2 } from '../../../src/runtime/ops/transposed-conv-3d-2x2x2.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** PyTorch's ConvTranspose3d(k=2, s=2) per output voxel: y[2d+a, 2h+b, 2w+c, o] = sum_i x[d, h, w, i] k[a, b, c, o, i] + bias[o]. */
function referenceTransposed(xShape: number[], cout: number) {
  const [n, d, h, w, cin] = xShape;
  const kShape = [2, 2, 2, cout, cin];
  const out = [n, 2 * d, 2 * h, 2 * w, cout];
  return ([x, k, b]: Float64Array[]): Float64Array => {
    const y = new Float64Array(out.reduce((p, q) => p * q, 1));
    for (let ni = 0; ni < n; ni++)
      for (let z = 0; z < 2 * d; z++)
        for (let r = 0; r < 2 * h; r++)
          for (let col = 0; col < 2 * w; col++)
            for (let o = 0; o < cout; o++) {
              let v = b[o];
              for (let i = 0; i < cin; i++) v += x[index(xShape, ni, z >> 1, r >> 1, col >> 1, i)] * k[index(kShape, z & 1, r & 1, col & 1, o, i)];
              y[index(out, ni, z, r, col, o)] = v;
            }
    return y;
  };
}

describe('transposedConv3d2x2x2', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe('having a 2x2x3x2x3 volume to 2 channels', () => {
      const xShape = [2, 2, 3, 2, 3];
      const x = input(xShape, 21);
      const k = input([2, 2, 2, 2, 3], 22);
      const b = input([2], 23);
      const projection = pseudoRandom(2 * 4 * 6 * 4 * 2, 24);
      const reference = referenceTransposed(xShape, 2);
      it('should match the per-voxel reference in value and in the gradients of input, kernel and bias', () => {
        const { y, yShape, grads } = tfValueAndGradients((t, kk, bb) => transposedConv3d2x2x2(t as tf.Tensor5D, kk as tf.Tensor5D, bb as tf.Tensor1D), [x, k, b], projection);
        expect(yShape).toEqual([2, 4, 6, 4, 2]);
        expectClose(y, reference([x, k, b].map((v) => Float64Array.from(v.values))), 1e-5);
        for (let which = 0; which < 3; which++) expectClose(grads[which], referenceGradient(reference, [x, k, b], projection, which), 1e-4);
      });
    });
  });
});
