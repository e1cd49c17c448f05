import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanAbsoluteErrorLoss } from '../../src/losses/mean-absolute-error-loss.js';
import { predictionErrorLossParams } from '../../src/losses/prediction-error-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

for (const backend of BACKENDS) {
  describe(`meanAbsoluteErrorLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
      const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
      it('should be the mean of |p - y|: (0.2 + 0.4) / 2', () => {
        expect(scalarValue(meanAbsoluteErrorLoss(prob(), target(), lossOptions(predictionErrorLossParams)))).toBeCloseTo(0.3, 6);
      });
      it('when the mask keeps only pixel B, should be 0.4', () => {
        expect(scalarValue(meanAbsoluteErrorLoss(prob(), target(), lossOptions(predictionErrorLossParams, {  }, { mask: tf.tensor3d([0, 1], [1, 1, 2]) })))).toBeCloseTo(0.4, 6);
      });
      it('when pixel weights are [3, 1], should be (3 * 0.2 + 0.4) / 4', () => {
        expect(scalarValue(meanAbsoluteErrorLoss(prob(), target(), lossOptions(predictionErrorLossParams, {  }, { pixelWeight: tf.tensor3d([3, 1], [1, 1, 2]) })))).toBeCloseTo(0.25, 6);
      });
    });

    describe('having one pixel of independent channels p = [0.9, 0.3] against y = [1, 0]', () => {
      it('when class weights are [3, 1], should be (3 * 0.1 + 0.3) / 4', () => {
        const loss = meanAbsoluteErrorLoss(tf.tensor4d([0.9, 0.3], [1, 1, 1, 2]), tf.tensor4d([1, 0], [1, 1, 1, 2]), lossOptions(predictionErrorLossParams, { classWeights: [3, 1] }));
        expect(scalarValue(loss)).toBeCloseTo(0.15, 6);
      });
    });

    describe('having random logits over a 2x3x3x2 batch with the sigmoid activation against a soft target', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = tf.tensor(pseudoRandom(36, 3, 0, 1), [2, 3, 3, 2]);
        expectGradientMatchesFiniteDifferences((x) => meanAbsoluteErrorLoss(x, y, lossOptions(predictionErrorLossParams, { activation: 'sigmoid', classWeights: [1, 2] })), [2, 3, 3, 2], 29);
      });
    });
  });
}
