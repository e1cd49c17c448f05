import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { dilatedConv2dSame } from '../../../src/runtime/ops/dilated-conv2d-same.js';
import {
  BACKENDS,
  expectClose,
  index,
  input,
  pick,
  pseudoRandom,
  referenceGradient,
  sampleIndices,
  size,
  tfFiniteDifferences,
  tfValueAndGradients,
  useBackend,
} from './op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

/** Plain-loop dilated convolution with d (k - 1) / 2 zeros on each side (PyTorch's padding), float64. */
function referenceDilatedConv(xShape: number[], kShape: number[], dilation: number) {
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = kShape;
  const ph = (dilation * (kh - 1)) / 2;
  const pw = (dilation * (kw - 1)) / 2;
  return ([x, k, b]: Float64Array[]): Float64Array => {
    const y = new Float64Array(n * h * w * cout);
    for (let ni = 0; ni < n; ni++)
      for (let hi = 0; hi < h; hi++)
        for (let wi = 0; wi < w; wi++)
          for (let o = 0; o < cout; o++) {
            let s = b[o];
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const hh = hi + dilation * i - ph;
                const ww = wi + dilation * j - pw;
                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                for (let c = 0; c < cin; c++) s += x[index(xShape, ni, hh, ww, c)] * k[index(kShape, i, j, c, o)];
              }
            y[index([n, h, w, cout], ni, hi, wi, o)] = s;
          }
    return y;
  };
}

const cases = [
  { name: 'a 2x7x9x3 input, a 3x3x3x4 kernel and dilation 2', xShape: [2, 7, 9, 3], kShape: [3, 3, 3, 4], dilation: 2 },
  { name: 'a 1x9x8x2 input, a 3x3x2x3 kernel and dilation 4', xShape: [1, 9, 8, 2], kShape: [3, 3, 2, 3], dilation: 4 },
  // COPLENet's bottleneck: the dilation exceeds the feature size, so only the centre tap sees the image.
  { name: 'a 2x3x5x4 input, a 3x3x4x2 kernel and dilation 6', xShape: [2, 3, 5, 4], kShape: [3, 3, 4, 2], dilation: 6 },
  { name: 'a 1x6x5x2 input, a 5x3x2x3 kernel and dilation 1', xShape: [1, 6, 5, 2], kShape: [5, 3, 2, 3], dilation: 1 },
];

const opWith = (dilation: number) => (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => dilatedConv2dSame(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D, dilation);

describe('dilatedConv2dSame', () => {
  describe.each(BACKENDS_HERE)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('when given $name', ({ xShape, kShape, dilation }) => {
      const x = input(xShape, 1);
      const k = input(kShape, 2, -0.5, 0.5);
      const b = input([kShape[3]], 3);
      const yShape = [...xShape.slice(0, 3), kShape[3]];
      const projection = pseudoRandom(size(yShape), 4);
      const reference = referenceDilatedConv(xShape, kShape, dilation);
      const op = opWith(dilation);

      it('should match a plain-loop dilated convolution', () => {
        const { y, yShape: shape } = tfValueAndGradients(op, [x, k, b], projection);
        expect(shape).toEqual(yShape);
        expectClose(y, reference([x, k, b].map((i) => Float64Array.from(i.values))));
      });

      it('should have gradients equal to those of the plain-loop reference', () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        for (const which of [0, 1, 2]) expectClose(grads[which], referenceGradient(reference, [x, k, b], projection, which), 1e-4);
      });

      it('should have gradients that match float32 central finite differences', () => {
        const { grads } = tfValueAndGradients(op, [x, k, b], projection);
        for (const which of [0, 1, 2]) {
          const at = sampleIndices(grads[which].length, 10);
          expectClose(pick(grads[which], at), tfFiniteDifferences(op, [x, k, b], projection, which, at), 2e-3);
        }
      });
    });

    it('when differentiated in a loop, should leave no tensor behind', () => {
      const op = opWith(3);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          const x = tf.tensor4d(pseudoRandom(2 * 6 * 6 * 2, i), [2, 6, 6, 2]);
          const k = tf.tensor4d(pseudoRandom(3 * 3 * 2 * 2, i + 7), [3, 3, 2, 2]);
          const grads = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(op(a, c, tf.zeros([2]))))([x, k]);
          expect(grads.every((g) => Array.from(g.dataSync()).every(Number.isFinite))).toBe(true);
        });
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('when the dilation is not a positive integer or the kernel size is even, should throw naming the problem', () => {
      tf.tidy(() => {
        expect(() => dilatedConv2dSame(tf.zeros([1, 4, 4, 1]), tf.zeros([3, 3, 1, 1]), tf.zeros([1]), 0)).toThrow(/dilation must be a positive integer, got 0/);
        expect(() => dilatedConv2dSame(tf.zeros([1, 4, 4, 1]), tf.zeros([2, 2, 1, 1]), tf.zeros([1]), 2)).toThrow(/odd kernel/);
      });
    });
  });
});
