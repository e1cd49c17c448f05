import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { focalDiceLoss, focalDiceLossParams } from '../../src/losses/focal-dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
// As in the Dice loss test: dice0 = (1.6 + S) / (2.2 + S), dice1 = (1.2 + S) / (1.8 + S).
const DICE0 = (1.6 + S) / (2.2 + S);
const DICE1 = (1.2 + S) / (1.8 + S);
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`focalDiceLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when beta = 2, should be 1 - mean of sqrt(dice_c)', () => {
        expect(scalarValue(focalDiceLoss(prob(), target(), lossOptions(focalDiceLossParams, { beta: 2 })))).toBeCloseTo(1 - (Math.sqrt(DICE0) + Math.sqrt(DICE1)) / 2, 6);
      });
      it('when beta = 1, should equal the soft Dice loss (an independent implementation)', () => {
        expect(scalarValue(focalDiceLoss(prob(), target(), lossOptions(focalDiceLossParams, { beta: 1 })))).toBeCloseTo(scalarValue(diceLoss(prob(), target())), 6);
      });
      it('when beta < 1, should be rejected by its params schema, naming beta', () => {
        const issues = focalDiceLossParams.safeParse({ beta: 0.5 }).error?.issues ?? [];
        expect(issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['beta', 'Too small: expected number to be >=1']]);
      });
    });

    describe('having random logits over a 2x3x3x3 batch with the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 3 ? 0 : 1)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => focalDiceLoss(x, y, lossOptions(focalDiceLossParams, { activation: 'softmax', beta: 3 }, { mask })), [2, 3, 3, 3], 11);
      });
    });
  });
}
