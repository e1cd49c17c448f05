import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchNormInference,
  batchNormTraining,
  updatedRunningStatistics,
} from '../../../src/runtime/ops/batch-norm.js';
import {
  BACKENDS,
  expectClose,
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
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
/** cpu and wasm run the elementwise formulation; native (when built) its single-pass addon kernels. */
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

const EPS = 1e-5;

/** Plain-loop statistics per channel (channels last): mean, biased and unbiased variance. */
function referenceStatistics(x: Float64Array, channels: number) {
  const count = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / count;
  for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / count;
  const unbiased = variance.map((v) => (v * count) / (count - 1));
  return { mean, variance, unbiased };
}

function referenceTraining(channels: number) {
  return ([x, gamma, beta]: Float64Array[]): Float64Array => {
    const { mean, variance } = referenceStatistics(x, channels);
    return x.map((v, i) => {
      const c = i % channels;
      return ((v - mean[c]) / Math.sqrt(variance[c] + EPS)) * gamma[c] + beta[c];
    });
  };
}

const op = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D).y;

/** The textbook elementwise formula, differentiated by tfjs's autodiff: a second implementation of the gradient. */
function elementwiseBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const mean = tf.mean(x, axes);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes);
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, EPS))), gamma), beta);
}

const oddCases = [
  { name: 'an odd 3x5x7x3 (4D) input', shape: [3, 5, 7, 3], lo: -1, hi: 4 },
  { name: 'an odd 1x3x5x7x5 (5D) input', shape: [1, 3, 5, 7, 5], lo: -2, hi: 1 },
  { name: 'a 2x3x5x2 input far from zero (mean 50)', shape: [2, 3, 5, 2], lo: 49, hi: 51 },
];

const cases = [
  { name: 'a 2x5x7x3 (4D) input', shape: [2, 5, 7, 3] },
  { name: 'a 2x3x4x5x2 (5D) input', shape: [2, 3, 4, 5, 2] },
  { name: 'a 6x4 (2D) input', shape: [6, 4] },
];

describe('batchNormTraining', () => {
  describe.each(BACKENDS_HERE)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('when given $name', ({ shape }) => {
      const channels = shape[shape.length - 1];
      // Offset and scale the input so that the normalisation does something visible.
      const x = input(shape, 11, 1, 4);
      const gamma = input([channels], 12, 0.5, 1.5);
      const beta = input([channels], 13);
      const projection = pseudoRandom(size(shape), 14);
      const reference = referenceTraining(channels);

      it('should normalise with the batch mean and biased variance, then scale and shift', () => {
        const { y } = tfValueAndGradients(op, [x, gamma, beta], projection);
        expectClose(y, reference([x, gamma, beta].map((i) => Float64Array.from(i.values))));
      });

      it('should return the batch mean, biased and unbiased variance', () => {
        const expected = referenceStatistics(Float64Array.from(x.values), channels);
        tf.tidy(() => {
          const { statistics } = batchNormTraining(tf.tensor(x.values, shape), tf.tensor1d(gamma.values), tf.tensor1d(beta.values));
          expectClose(statistics.mean.dataSync(), expected.mean);
          expectClose(statistics.variance.dataSync(), expected.variance);
          expectClose(statistics.unbiasedVariance.dataSync(), expected.unbiased);
          expect(statistics.count).toBe(size(shape) / channels);
        });
      });

      it('should have gradients equal to those of the plain-loop reference', () => {
        const { grads } = tfValueAndGradients(op, [x, gamma, beta], projection);
        for (const which of [0, 1, 2]) {
          expectClose(grads[which], referenceGradient(reference, [x, gamma, beta], projection, which), 1e-4);
        }
      });

      it('should have gradients that match float32 central finite differences', () => {
        const { grads } = tfValueAndGradients(op, [x, gamma, beta], projection);
        for (const which of [0, 1, 2]) {
          const at = sampleIndices(grads[which].length, 10);
          const numeric = tfFiniteDifferences(op, [x, gamma, beta], projection, which, at, 1e-2);
          expectClose(pick(grads[which], at), numeric, 5e-3);
        }
      });
    });

    describe.each(oddCases)('when given $name', ({ shape, lo, hi }) => {
      const channels = shape[shape.length - 1];
      const x = input(shape, 41, lo, hi);
      const gamma = input([channels], 42, 0.5, 1.5);
      const beta = input([channels], 43);
      const projection = pseudoRandom(size(shape), 44);

      it('should have the same value and gradients as autodiff through the elementwise formula', () => {
        const ours = tfValueAndGradients(op, [x, gamma, beta], projection);
        const autodiff = tfValueAndGradients(elementwiseBatchNorm, [x, gamma, beta], projection);
        expectClose(ours.y, autodiff.y, 1e-4);
        for (const which of [0, 1, 2]) expectClose(ours.grads[which], autodiff.grads[which], 1e-3);
      });

      it('should have gradients that match float32 central finite differences', () => {
        const { grads } = tfValueAndGradients(op, [x, gamma, beta], projection);
        for (const which of [0, 1, 2]) {
          const at = sampleIndices(grads[which].length, 8);
          const numeric = tfFiniteDifferences(op, [x, gamma, beta], projection, which, at, 1e-2);
          expectClose(pick(grads[which], at), numeric, 1e-2);
        }
      });

      it('should leave no tensors behind after a gradient', () => {
        const before = tf.memory().numTensors;
        tfValueAndGradients(op, [x, gamma, beta], projection);
        const grads = tf.tidy(() => {
          const xt = tf.tensor(x.values, shape);
          const g = tf.tensor1d(gamma.values);
          const b = tf.tensor1d(beta.values);
          return tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(op(a, c, d)))([xt, g, b]);
        });
        tf.dispose(grads);
        expect(tf.memory().numTensors).toBe(before);
      });
    });

    describe('when in inference mode with running statistics', () => {
      it('should normalise with the running mean and variance', () => {
        const shape = [2, 3, 5, 4];
        const x = input(shape, 21, -2, 2).values;
        const gamma = input([4], 22).values;
        const beta = input([4], 23).values;
        const mean = input([4], 24).values;
        const variance = input([4], 25, 0.5, 2).values;
        const expected = Array.from(x, (v, i) => {
          const c = i % 4;
          return ((v - mean[c]) / Math.sqrt(variance[c] + EPS)) * gamma[c] + beta[c];
        });
        const y = tf.tidy(() =>
          batchNormInference(
            tf.tensor(x, shape),
            tf.tensor1d(gamma),
            tf.tensor1d(beta),
            tf.tensor1d(mean),
            tf.tensor1d(variance),
          ).dataSync(),
        );
        expectClose(y, expected);
      });
    });

    describe('when updating running statistics', () => {
      it("should use momentum 0.1 and the unbiased batch variance, like PyTorch's running_var", () => {
        const shape = [3, 4, 2];
        const x = input(shape, 31, 0, 3);
        const expected = referenceStatistics(Float64Array.from(x.values), 2);
        const runningMean = [0.5, -1];
        const runningVar = [2, 0.25];
        const [m, v] = tf.tidy(() => {
          const { statistics } = batchNormTraining(tf.tensor(x.values, shape), tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D);
          const updated = updatedRunningStatistics(tf.tensor1d(runningMean), tf.tensor1d(runningVar), statistics);
          return [updated.mean.dataSync(), updated.variance.dataSync()];
        });
        expectClose(m, runningMean.map((r, c) => 0.9 * r + 0.1 * expected.mean[c]));
        expectClose(v, runningVar.map((r, c) => 0.9 * r + 0.1 * expected.unbiased[c]));
      });
    });
  });
});
