import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxPool2x2 } from '../../../src/runtime/ops/max-pool-2x2.js';
import {
  BACKENDS,
  expectClose,
  index,
  input,
  onCpu,
  pick,
  pseudoRandom,
  referenceGradient,
  sampleIndices,
  size,
  tfFiniteDifferences,
  tfValueAndGradients,
  useBackend,
} from './op-test-helpers.js';

function referencePool(shape: number[]) {
  const [n, h, w, c] = shape;
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(n * ho * wo * c);
    for (let ni = 0; ni < n; ni++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          for (let ci = 0; ci < c; ci++) {
            let m = -Infinity;
            for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) m = Math.max(m, x[index(shape, ni, 2 * i + di, 2 * j + dj, ci)]);
            y[index([n, ho, wo, c], ni, i, j, ci)] = m;
          }
    return y;
  };
}

const op = (x: tf.Tensor) => maxPool2x2(x as tf.Tensor4D);

const cases = [
  { name: 'a 2x5x7x3 input (odd sizes: the last row and column are dropped)', shape: [2, 5, 7, 3] },
  { name: 'a 3x4x6x2 input', shape: [3, 4, 6, 2] },
];

describe('maxPool2x2', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('when given $name', ({ shape }) => {
      const x = input(shape, 41);
      const outShape = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]];
      const projection = pseudoRandom(size(outShape), 42);
      const reference = referencePool(shape);

      it('should match plain loops and tfjs maxPool on cpu', async () => {
        const { y, yShape } = tfValueAndGradients(op, [x], projection);
        expect(yShape).toEqual(outShape);
        expectClose(y, reference([Float64Array.from(x.values)]), 0);
        const builtIn = await onCpu(backend, () => tf.tidy(() => tf.maxPool(tf.tensor4d(x.values, shape as never), 2, 2, 'valid').dataSync()));
        expectClose(y, builtIn, 0);
      });

      it("should have the gradient of the plain-loop reference and of the cpu backend's MaxPoolGrad kernel", async () => {
        const { grads } = tfValueAndGradients(op, [x], projection);
        expectClose(grads[0], referenceGradient(reference, [x], projection, 0), 1e-6);
        const builtIn = await onCpu(backend, () =>
          tf.tidy(() => {
            const xt = tf.tensor4d(x.values, shape as never);
            const output = tf.maxPool(xt, 2, 2, 'valid');
            const dy = tf.tensor4d(projection, outShape as never);
            return (tf.engine().runKernel('MaxPoolGrad', { dy, input: xt, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor).dataSync();
          }),
        );
        expectClose(grads[0], builtIn, 0);
      });

      it('should have a gradient that matches float32 central finite differences', () => {
        const { grads } = tfValueAndGradients(op, [x], projection);
        const at = sampleIndices(grads[0].length, 16);
        expectClose(pick(grads[0], at), tfFiniteDifferences(op, [x], projection, 0, at, 1e-3), 2e-3);
      });
    });

    describe('when the window holds equal maxima', () => {
      it('should send the gradient to the first maximum in row-major order only, like PyTorch', () => {
        // Window 1 (all zeros) -> (0,0); window 2: x01 = x10 = 2 > x00, x11 -> (0,1); window 3: x10 = x11 = 5 -> (1,0).
        const values = [
          0, 0, 1, 2, 0, 0,
          0, 0, 2, 1, 5, 5,
        ];
        const dx = tf.tidy(() => {
          const xt = tf.tensor4d(values, [1, 2, 6, 1]);
          return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(op(t), tf.tensor4d([10, 20, 30], [1, 1, 3, 1]))))(xt).dataSync();
        });
        expect(Array.from(dx)).toEqual([
          10, 0, 0, 20, 0, 0,
          0, 0, 0, 0, 30, 0,
        ]);
      });
    });
  });
});
