import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { spatialLabelSmoothingLoss, spatialLabelSmoothingLossParams } from '../../src/losses/spatial-label-smoothing-loss.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

// p' = 0.999 p + 5e-4: pixel A's class-0 p 0.8 -> 0.7997; pixel B p = [0.4, 0.6] -> [0.4001, 0.5999].
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`spatialLabelSmoothingLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when no pixel is flagged noisy, should be the guarded cross-entropy', () => {
        expect(scalarValue(spatialLabelSmoothingLoss(prob(), target(), lossOptions(spatialLabelSmoothingLossParams)))).toBeCloseTo(-(Math.log(0.7997) + Math.log(0.5999)) / 2, 5);
      });
      it('when pixel B is flagged noisy with epsilon 0.25, should use its smoothed label [0.25, 0.75]', () => {
        const noisyMask = tf.tensor3d([0, 1], [1, 1, 2]);
        const pixelB = -(0.25 * Math.log(0.4001) + 0.75 * Math.log(0.5999));
        expect(scalarValue(spatialLabelSmoothingLoss(prob(), target(), lossOptions(spatialLabelSmoothingLossParams, {  }, { noisyMask })))).toBeCloseTo((-Math.log(0.7997) + pixelB) / 2, 5);
      });
      it('when the annotation mask keeps only pixel A, should be pixel A alone', () => {
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        expect(scalarValue(spatialLabelSmoothingLoss(prob(), target(), lossOptions(spatialLabelSmoothingLossParams, {  }, { mask })))).toBeCloseTo(-Math.log(0.7997), 5);
      });
    });

    describe('having random logits over a 2x3x3x3 batch, a noisy mask and the softmax activation', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const noisyMask = tf.tensor(Array.from({ length: 18 }, (_, i) => i % 3), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => spatialLabelSmoothingLoss(x, y, lossOptions(spatialLabelSmoothingLossParams, { activation: 'softmax', epsilon: 0.1 }, { noisyMask })), [2, 3, 3, 3], 37);
      });
    });
  });
}
