import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generalizedCrossEntropyLoss, generalizedCrossEntropyLossParams } from '../../src/losses/generalized-cross-entropy-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

// Pixel A: p = [0.64, 0.36], class 0 -> (1 - sqrt(0.64)) / 0.5 = 0.4.
// Pixel B: p = [0.25, 0.75], class 1 -> (1 - sqrt(0.75)) / 0.5 = 2 (1 - 0.8660254) = 0.2679492.
const A = 0.4;
const B = 2 * (1 - Math.sqrt(0.75));
const prob = () => tf.tensor4d([0.64, 0.36, 0.25, 0.75], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`generalizedCrossEntropyLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.64, 0.36] (class 0) and [0.25, 0.75] (class 1), q = 0.5', () => {
      it('should be the mean of (1 - p_y^q) / q', () => {
        expect(scalarValue(generalizedCrossEntropyLoss(prob(), target(), lossOptions(generalizedCrossEntropyLossParams, { q: 0.5 })))).toBeCloseTo((A + B) / 2, 6);
      });
      it('when class weights are [2, 1], should scale each pixel by the weight of its class', () => {
        expect(scalarValue(generalizedCrossEntropyLoss(prob(), target(), lossOptions(generalizedCrossEntropyLossParams, { q: 0.5, classWeights: [2, 1] })))).toBeCloseTo((2 * A + B) / 2, 6);
      });
      it('when the mask keeps only pixel A, should be pixel A alone', () => {
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        expect(scalarValue(generalizedCrossEntropyLoss(prob(), target(), lossOptions(generalizedCrossEntropyLossParams, { q: 0.5 }, { mask })))).toBeCloseTo(A, 6);
      });
      it('when q = 1, should be the mean of 1 - p_y (MAE on the true class)', () => {
        expect(scalarValue(generalizedCrossEntropyLoss(prob(), target(), lossOptions(generalizedCrossEntropyLossParams, { q: 1 })))).toBeCloseTo((0.36 + 0.25) / 2, 6);
      });
      it('when the mask is all zero, should be 0 rather than NaN', () => {
        expect(scalarValue(generalizedCrossEntropyLoss(prob(), target(), lossOptions(generalizedCrossEntropyLossParams, {}, { mask: tf.zeros([1, 1, 2]) })))).toBe(0);
      });
    });

    describe('having logits with the softmax activation', () => {
      it('should equal the loss of the softmax probabilities', () => {
        const logits = tf.tensor4d([0.3, -1, 2, 0.5], [1, 1, 2, 2]);
        const viaActivation = scalarValue(generalizedCrossEntropyLoss(logits, target(), lossOptions(generalizedCrossEntropyLossParams, { activation: 'softmax' })));
        expect(viaActivation).toBeCloseTo(scalarValue(generalizedCrossEntropyLoss(tf.softmax(logits), target(), lossOptions(generalizedCrossEntropyLossParams))), 6);
      });
    });

    describe('having random logits over a 2x3x3x3 batch, class weights and a mask', () => {
      it('should have a gradient matching central finite differences, zero on masked pixels', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 1 ? 0 : 1)), [2, 3, 3]);
        const grad = expectGradientMatchesFiniteDifferences(
          (x) => generalizedCrossEntropyLoss(x, y, lossOptions(generalizedCrossEntropyLossParams, { activation: 'softmax', q: 0.7, classWeights: [1, 2, 0.5] }, { mask })),
          [2, 3, 3, 3],
          5,
        );
        for (let i = 1; i < 18; i += 4) expect(Array.from(grad.slice(3 * i, 3 * i + 3)).map(Math.abs)).toEqual([0, 0, 0]);
      });
    });

    describe('having an invalid q', () => {
      it('should be rejected by its params schema, naming q, at 0 and above 1', () => {
        for (const q of [0, 1.5]) {
          const issues = generalizedCrossEntropyLossParams.safeParse({ q }).error?.issues ?? [];
          expect(issues.map((issue) => issue.path.join('.'))).toEqual(['q']);
        }
      });
    });
  });
}
