import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { batchNormTraining } from '../../../src/runtime/ops/batch-norm.js';
import { BACKENDS, expectClose, input, pseudoRandom, referenceGradient, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** PyTorch's BatchNorm3d in training: per channel, (x - mean) / sqrt(biased variance + 1e-5) * gamma + beta. */
function referenceBatchNorm(shape: number[]) {
  const c = shape[shape.length - 1];
  return ([x, gamma, beta]: Float64Array[]): Float64Array => {
    const count = x.length / c;
    const y = new Float64Array(x.length);
    for (let ch = 0; ch < c; ch++) {
      let mean = 0;
      for (let i = ch; i < x.length; i += c) mean += x[i] / count;
      let variance = 0;
      for (let i = ch; i < x.length; i += c) variance += (x[i] - mean) ** 2 / count;
      for (let i = ch; i < x.length; i += c) y[i] = ((x[i] - mean) / Math.sqrt(variance + 1e-5)) * gamma[ch] + beta[ch];
    }
    return y;
  };
}

describe('batchNormTraining on NDHWC volumes (BatchNorm3d)', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('having a 2x2x3x2x3 volume, should match the per-channel reference in value and all gradients', () => {
      const shape = [2, 2, 3, 2, 3];
      const x = input(shape, 31);
      const gamma = input([3], 32, 0.5, 1.5);
      const beta = input([3], 33);
      const projection = pseudoRandom(72, 34);
      const reference = referenceBatchNorm(shape);
      const { y, grads } = tfValueAndGradients(
        (t, g, b) => batchNormTraining(t, g as tf.Tensor1D, b as tf.Tensor1D).y,
        [x, gamma, beta],
        projection,
      );
      expectClose(y, reference([x, gamma, beta].map((v) => Float64Array.from(v.values))), 1e-4);
      for (let which = 0; which < 3; which++) expectClose(grads[which], referenceGradient(reference, [x, gamma, beta], projection, which), 1e-3);
    });
  });
});
