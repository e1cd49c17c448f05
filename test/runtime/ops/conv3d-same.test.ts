import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv3dSame } from '../../../src/runtime/ops/conv3d-same.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, size, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** 'same' 3D convolution plus bias written as plain loops (zero padding k // 2, kernel [kd, kh, kw, cin, cout]). */
function referenceConv3d(xShape: number[], kShape: number[]) {
  const [n, d, h, w, cin] = xShape;
  const [kd, kh, kw, , cout] = kShape;
  return ([x, k, b]: Float64Array[]): Float64Array => {
    const y = new Float64Array(n * d * h * w * cout);
    for (let ni = 0; ni < n; ni++)
      for (let z = 0; z < d; z++)
        for (let r = 0; r < h; r++)
          for (let c = 0; c < w; c++)
            for (let o = 0; o < cout; o++) {
              let v = b[o];
              for (let a = 0; a < kd; a++)
                for (let bb = 0; bb < kh; bb++)
                  for (let cc = 0; cc < kw; cc++) {
                    const zz = z + a - (kd - 1) / 2;
                    const rr = r + bb - (kh - 1) / 2;
                    const ccol = c + cc - (kw - 1) / 2;
                    if (zz < 0 || zz >= d || rr < 0 || rr >= h || ccol < 0 || ccol >= w) continue;
                    for (let i = 0; i < cin; i++) v += x[index(xShape, ni, zz, rr, ccol, i)] * k[index(kShape, a, bb, cc, i, o)];
                  }
              y[index([n, d, h, w, cout], ni, z, r, c, o)] = v;
            }
    return y;
  };
}

const cases = [
  { name: 'a 1x3x4x5x2 volume and a 3x3x3 kernel to 3 channels', x: [1, 3, 4, 5, 2], k: [3, 3, 3, 2, 3] },
  { name: 'a 2x2x3x3x3 volume and a 1x1x1 kernel to 2 channels', x: [2, 2, 3, 3, 3], k: [1, 1, 1, 3, 2] },
  { name: 'a 1x4x3x2x1 volume and a 3x1x3 kernel', x: [1, 4, 3, 2, 1], k: [3, 1, 3, 1, 2] },
];

describe('conv3dSame', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('having $name', ({ x: xShape, k: kShape }) => {
      const x = input(xShape, 1);
      const k = input(kShape, 2);
      const b = input([kShape[4]], 3);
      const outSize = size(xShape.slice(0, 4)) * kShape[4];
      const projection = pseudoRandom(outSize, 4);
      const reference = referenceConv3d(xShape, kShape);
      it('should match the loop reference in value and in the gradients of input, kernel and bias', () => {
        const { y, grads } = tfValueAndGradients((t, kk, bb) => conv3dSame(t as tf.Tensor5D, kk as tf.Tensor5D, bb as tf.Tensor1D), [x, k, b], projection);
        expectClose(y, reference([x, k, b].map((v) => Float64Array.from(v.values))), 1e-5);
        for (let which = 0; which < 3; which++) expectClose(grads[which], referenceGradient(reference, [x, k, b], projection, which), 1e-4);
      });
    });

    it('having an even kernel, should throw', () => {
      expect(() => conv3dSame(tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D, tf.zeros([2, 2, 2, 1, 1]) as tf.Tensor5D, tf.zeros([1]) as tf.Tensor1D)).toThrow(/odd kernel/);
    });
  });
});
