import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { tverskyLoss, tverskyLossParams } from '../../src/losses/tversky-loss.js';
import { stageFamilies } from '../../src/stages/built-in-stages.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
// Two pixels, two classes: p = [0.8, 0.2] with label 0, p = [0.4, 0.6] with label 1.
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
// By hand: class 0 has TP 0.8, FP 0.4, FN 0.2; class 1 has TP 0.6, FP 0.2, FN 0.4.
const index = (tp: number, fp: number, fn: number, alpha: number, beta: number) => (tp + S) / (tp + alpha * fp + beta * fn + S);

for (const backend of BACKENDS) {
  describe(`tverskyLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when alpha = 0.3 and beta = 0.7 (the defaults), should be 1 − the mean of the two indices worked out by hand', () => {
        const expected = 1 - (index(0.8, 0.4, 0.2, 0.3, 0.7) + index(0.6, 0.2, 0.4, 0.3, 0.7)) / 2;
        expect(scalarValue(tverskyLoss(prob(), target(), lossOptions(tverskyLossParams, {})))).toBeCloseTo(expected, 6);
      });
      it('when alpha = beta = 0.5, should equal the soft Dice loss (an independent implementation) up to the smoothing', () => {
        // (TP + s) / (½ (P + Y) + s) = (2 TP + 2s) / (P + Y + 2s): Dice's s enters twice, a difference of order s.
        expect(scalarValue(tverskyLoss(prob(), target(), lossOptions(tverskyLossParams, { alpha: 0.5, beta: 0.5 })))).toBeCloseTo(scalarValue(diceLoss(prob(), target())), 5);
      });
      it('when class weights are 1 and 3 and the second pixel is masked out, should weight the classes and count only the first pixel', () => {
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        // Only pixel 1 (label 0): class 0 TP 0.8, FP 0, FN 0.2; class 1 TP 0, FP 0.2, FN 0.
        const expected = (1 * (1 - index(0.8, 0, 0.2, 0.3, 0.7)) + 3 * (1 - index(0, 0.2, 0, 0.3, 0.7))) / 4;
        expect(scalarValue(tverskyLoss(prob(), target(), lossOptions(tverskyLossParams, { classWeights: [1, 3] }, { mask })))).toBeCloseTo(expected, 6);
      });
      it('should be rejected by its params schema when alpha and beta are both 0, naming beta', () => {
        const issues = tverskyLossParams.safeParse({ alpha: 0, beta: 0 }).error?.issues ?? [];
        expect(issues.map((issue) => issue.path.join('.'))).toEqual(['beta']);
      });
    });

    describe('having random logits over a 2x3x3x3 batch with the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 3 ? 0 : 1)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => tverskyLoss(x, y, lossOptions(tverskyLossParams, { activation: 'softmax', alpha: 0.2, beta: 0.8 }, { mask })), [2, 3, 3, 3], 13);
      });
    });
  });
}

describe('the TverskyLoss stage', () => {
  it('should be registered in the losses family from its unit', () => {
    const stageClass = stageFamilies.losses.TverskyLoss;
    expect(stageClass.className).toBe('TverskyLoss');
    expect(stageClass.paramsSchema).toBe(tverskyLossParams);
  });
});
