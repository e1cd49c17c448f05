import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dSame } from '../../../src/runtime/ops/conv2d-same.js';
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

/** Plain-loop 'same' convolution with zero padding, float64. */
function referenceConv(xShape: number[], kShape: number[]) {
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = kShape;
  const ph = (kh - 1) / 2;
  const pw = (kw - 1) / 2;
  return ([x, k, b]: Float64Array[]): Float64Array => {
    const y = new Float64Array(n * h * w * cout);
    for (let ni = 0; ni < n; ni++)
      for (let hi = 0; hi < h; hi++)
        for (let wi = 0; wi < w; wi++)
          for (let o = 0; o < cout; o++) {
            let s = b[o];
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const hh = hi + i - ph;
                const ww = wi + j - pw;
                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                for (let c = 0; c < cin; c++) s += x[index(xShape, ni, hh, ww, c)] * k[index(kShape, i, j, c, o)];
              }
            y[index([n, h, w, cout], ni, hi, wi, o)] = s;
          }
    return y;
  };
}

const op = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => conv2dSame(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D);

const cases = [
  { name: 'a 2x5x7x3 input and a 3x3x3x4 kernel', xShape: [2, 5, 7, 3], kShape: [3, 3, 3, 4] },
  { name: 'a 3x4x6x5 input and a 1x1x5x2 kernel', xShape: [3, 4, 6, 5], kShape: [1, 1, 5, 2] },
  { name: 'a 1x6x5x2 input and a 5x3x2x3 kernel', xShape: [1, 6, 5, 2], kShape: [5, 3, 2, 3] },
];

describe('conv2dSame', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('when given $name', ({ xShape, kShape }) => {
      const x = input(xShape, 1);
      const k = input(kShape, 2, -0.5, 0.5);
      const b = input([kShape[3]], 3);
      const yShape = [...xShape.slice(0, 3), kShape[3]];
      const projection = pseudoRandom(size(yShape), 4);
      const reference = referenceConv(xShape, kShape);

      it('should match a plain-loop convolution and tfjs conv2d on cpu', async () => {
        const { y, yShape: shape } = tfValueAndGradients(op, [x, k, b], projection);
        expect(shape).toEqual(yShape);
        expectClose(y, reference([x, k, b].map((i) => Float64Array.from(i.values))));
        const builtIn = await onCpu(backend, () =>
          tf.tidy(() =>
            tf
              .add(tf.conv2d(tf.tensor4d(x.values, xShape as never), tf.tensor4d(k.values, kShape as never), 1, 'same'), tf.tensor1d(b.values))
              .dataSync(),
          ),
        );
        expectClose(y, builtIn);
      });

      it('should have gradients equal to those of the plain-loop reference', () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        for (const which of [0, 1, 2]) {
          expectClose(grads[which], referenceGradient(reference, [x, k, b], projection, which), 1e-4);
        }
      });

      it("should have gradients equal to the cpu backend's Conv2DBackpropInput / Conv2DBackpropFilter kernels", async () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        const [dx, dk] = await onCpu(backend, () =>
          tf.tidy(() => {
            const dy = tf.tensor4d(projection, yShape as never);
            const xt = tf.tensor4d(x.values, xShape as never);
            const kt = tf.tensor4d(k.values, kShape as never);
            const dxRef = tf.conv2dTranspose(dy, kt, xShape as never, 1, 'same');
            const dkRef = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy }, {
              strides: 1,
              pad: 'same',
              dataFormat: 'NHWC',
              filterShape: kShape,
            }) as tf.Tensor;
            return [dxRef.dataSync(), dkRef.dataSync()];
          }),
        );
        expectClose(grads[0], dx);
        expectClose(grads[1], dk);
      });

      it('should have gradients that match float32 central finite differences', () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        for (const which of [0, 1, 2]) {
          const at = sampleIndices(grads[which].length, 12);
          const numeric = tfFiniteDifferences(op, [x, k, b], projection, which, at);
          expectClose(pick(grads[which], at), numeric, 2e-3);
        }
      });
    });

    it('when the kernel size is even, should throw an invalid-shape error', () => {
      expect(() => tf.tidy(() => conv2dSame(tf.zeros([1, 4, 4, 1]), tf.zeros([2, 2, 1, 1]), tf.zeros([1])))).toThrow(
        /odd kernel/,
      );
    });
  });
});
