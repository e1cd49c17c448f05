import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { transposedConv2x2 } from '../../../src/runtime/ops/transposed-conv-2x2.js';
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

/** y[n, 2h+i, 2w+j, o] = b[o] + sum_c x[n, h, w, c] k[i, j, o, c], as nn.ConvTranspose2d(cin, cout, 2, stride=2). */
function referenceTransposedConv(xShape: number[], cout: number) {
  const [n, h, w, cin] = xShape;
  const kShape = [2, 2, cout, cin];
  return ([x, k, b]: Float64Array[]): Float64Array => {
    const yShape = [n, 2 * h, 2 * w, cout];
    const y = new Float64Array(size(yShape));
    for (let ni = 0; ni < n; ni++)
      for (let hi = 0; hi < h; hi++)
        for (let wi = 0; wi < w; wi++)
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++)
              for (let o = 0; o < cout; o++) {
                let s = b[o];
                for (let c = 0; c < cin; c++) s += x[index(xShape, ni, hi, wi, c)] * k[index(kShape, i, j, o, c)];
                y[index(yShape, ni, 2 * hi + i, 2 * wi + j, o)] = s;
              }
    return y;
  };
}

const op = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => transposedConv2x2(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D);

const cases = [
  { name: 'a 2x5x7x3 input and 4 outputs', xShape: [2, 5, 7, 3], cout: 4 },
  { name: 'a 1x3x2x6 input and 2 outputs', xShape: [1, 3, 2, 6], cout: 2 },
];

describe('transposedConv2x2', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('when given $name', ({ xShape, cout }) => {
      const [n, h, w, cin] = xShape;
      const kShape = [2, 2, cout, cin];
      const yShape = [n, 2 * h, 2 * w, cout];
      const x = input(xShape, 61);
      const k = input(kShape, 62);
      const b = input([cout], 63);
      const projection = pseudoRandom(size(yShape), 64);
      const reference = referenceTransposedConv(xShape, cout);

      it('should match plain loops and tfjs conv2dTranspose on cpu', async () => {
        const { y, yShape: shape } = tfValueAndGradients(op, [x, k, b], projection);
        expect(shape).toEqual(yShape);
        expectClose(y, reference([x, k, b].map((i) => Float64Array.from(i.values))));
        const builtIn = await onCpu(backend, () =>
          tf.tidy(() =>
            tf
              .add(
                tf.conv2dTranspose(tf.tensor4d(x.values, xShape as never), tf.tensor4d(k.values, kShape as never), yShape as never, 2, 'valid'),
                tf.tensor1d(b.values),
              )
              .dataSync(),
          ),
        );
        expectClose(y, builtIn);
      });

      it('should have the gradients of the plain-loop reference', () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        for (const which of [0, 1, 2]) {
          expectClose(grads[which], referenceGradient(reference, [x, k, b], projection, which), 1e-4);
        }
      });

      it("should have the gradients of conv2dTranspose's on cpu (conv2d of dy; Conv2DBackpropFilter)", async () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        const [dx, dk] = await onCpu(backend, () =>
          tf.tidy(() => {
            const dy = tf.tensor4d(projection, yShape as never);
            const xt = tf.tensor4d(x.values, xShape as never);
            const kt = tf.tensor4d(k.values, kShape as never);
            const dxRef = tf.conv2d(dy, kt, 2, 'valid');
            const dkRef = tf.engine().runKernel('Conv2DBackpropFilter', { x: dy, dy: xt }, {
              strides: 2,
              pad: 'valid',
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
          expectClose(pick(grads[which], at), tfFiniteDifferences(op, [x, k, b], projection, which, at), 2e-3);
        }
      });
    });
  });
});
