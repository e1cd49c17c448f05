import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanSquaredErrorLoss } from '../../src/losses/mean-squared-error-loss.js';
import { predictionErrorLossParams } from '../../src/losses/prediction-error-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

for (const backend of BACKENDS) {
  describe(`meanSquaredErrorLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
      const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
      it('should be the mean of (p - y)^2: (0.04 + 0.16) / 2', () => {
        expect(scalarValue(meanSquaredErrorLoss(prob(), target(), lossOptions(predictionErrorLossParams)))).toBeCloseTo(0.1, 6);
      });
      it('when the mask keeps only pixel A, should be 0.04', () => {
        expect(scalarValue(meanSquaredErrorLoss(prob(), target(), lossOptions(predictionErrorLossParams, {  }, { mask: tf.tensor3d([1, 0], [1, 1, 2]) })))).toBeCloseTo(0.04, 6);
      });
    });

    describe('having one pixel p = [0.9, 0.3] against y = [1, 0]', () => {
      it('when class weights are [3, 1], should be (3 * 0.01 + 0.09) / 4', () => {
        const loss = meanSquaredErrorLoss(tf.tensor4d([0.9, 0.3], [1, 1, 1, 2]), tf.tensor4d([1, 0], [1, 1, 1, 2]), lossOptions(predictionErrorLossParams, { classWeights: [3, 1] }));
        expect(scalarValue(loss)).toBeCloseTo(0.03, 6);
      });
      it('when tanh is the activation, should compare tanh(prediction) with the target', () => {
        const loss = meanSquaredErrorLoss(tf.tensor4d([0.5, -0.5], [1, 1, 1, 2]), tf.tensor4d([1, 0], [1, 1, 1, 2]), lossOptions(predictionErrorLossParams, { activation: 'tanh' }));
        const t = Math.tanh(0.5);
        expect(scalarValue(loss)).toBeCloseTo(((t - 1) ** 2 + t ** 2) / 2, 6);
      });
    });

    describe('having random predictions over a 1x2x2x3x2 volume (3D) with the tanh activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = tf.tensor(pseudoRandom(24, 5, -1, 1), [1, 2, 2, 3, 2]);
        const mask = tf.tensor(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : 1)), [1, 2, 2, 3]);
        expectGradientMatchesFiniteDifferences((x) => meanSquaredErrorLoss(x, y, lossOptions(predictionErrorLossParams, { activation: 'tanh' }, { mask })), [1, 2, 2, 3, 2], 31);
      });
    });
  });
}
