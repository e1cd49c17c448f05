import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expLogLoss, expLogLossParams } from '../../src/losses/exp-log-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
const DICE0 = (1.6 + S) / (2.2 + S);
const DICE1 = (1.2 + S) / (1.8 + S);
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
// Each class labels half the pixels: class weight (0.5 + 0.1)^-0.5. Pixel A's true-class p 0.8, pixel B's 0.6.
const K = 0.6 ** -0.5;
const logDice = (d: number) => -Math.log(0.01 + 0.98 * d);
const logP = (p: number) => -Math.log(0.01 + 0.98 * p);

for (const backend of BACKENDS) {
  describe(`expLogLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when gamma = 1 and wDice = 0.5, should average the log-Dice and the weighted log terms', () => {
        const expDice = (logDice(DICE0) + logDice(DICE1)) / 2;
        const expCe = (K * logP(0.8) + K * logP(0.6)) / 2;
        expect(scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams, { gamma: 1, wDice: 0.5 })))).toBeCloseTo(0.5 * expDice + 0.5 * expCe, 6);
      });
      it('when gamma = 0.3 and wDice = 0.8 (the defaults), should raise each log term to 0.3', () => {
        const expDice = (logDice(DICE0) ** 0.3 + logDice(DICE1) ** 0.3) / 2;
        const expCe = (K * logP(0.8) ** 0.3 + K * logP(0.6) ** 0.3) / 2;
        expect(scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams)))).toBeCloseTo(0.8 * expDice + 0.2 * expCe, 5);
      });
      it('when the mask keeps only pixel A, should use pixel A for the Dice, the class frequencies and the mean', () => {
        // Class 0: I 0.8, P 0.8, Y 1; class 1: I 0, P 0.2, Y 0. Frequencies [1, 0] -> weight of class 0 is 1.1^-0.5.
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        const expDice = (logDice((1.6 + S) / (1.8 + S)) + logDice(S / (0.2 + S))) / 2;
        const expCe = 1.1 ** -0.5 * logP(0.8);
        expect(scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams, { gamma: 1, wDice: 0.5 }, { mask })))).toBeCloseTo(0.5 * expDice + 0.5 * expCe, 5);
      });
    });

    describe('having random logits over a 2x3x3x3 batch with the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 2 ? 0 : 1)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => expLogLoss(x, y, lossOptions(expLogLossParams, { activation: 'softmax' }, { mask })), [2, 3, 3, 3], 23);
      });
    });
  });
}
