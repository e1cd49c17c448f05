import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXP_LOG_GUARDS, expLogLoss, expLogLossParams } from '../../src/losses/exp-log-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { analyticAndNumericGradient, BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
const DICE0 = (1.6 + S) / (2.2 + S);
const DICE1 = (1.2 + S) / (1.8 + S);
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
// Each class labels half the pixels: class weight (0.5 + 0.1)^-0.5. Pixel A's true-class p 0.8, pixel B's 0.6.
const K = 0.6 ** -0.5;

// The log guard g(x) = offset + scale x of each choice, written out here rather than read from EXP_LOG_GUARDS:
// PyMIC's current exp_log.py uses 0.005 + 0.99 x, its earlier one 0.01 + 0.98 x.
const GUARDS = [
  { logGuard: 'pymic', offset: 0.005, scale: 0.99, isDefault: true },
  { logGuard: 'pymic-legacy', offset: 0.01, scale: 0.98, isDefault: false },
] as const;

describe('EXP_LOG_GUARDS', () => {
  it("should hold PyMIC's current constants 0.005 + 0.99 x and its earlier 0.01 + 0.98 x, the current by default", () => {
    expect(EXP_LOG_GUARDS.pymic).toEqual({ offset: 0.005, scale: 0.99 });
    expect(EXP_LOG_GUARDS['pymic-legacy']).toEqual({ offset: 0.01, scale: 0.98 });
    expect(expLogLossParams.parse({}).logGuard).toBe('pymic');
  });
});

for (const backend of BACKENDS) {
  describe(`expLogLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    for (const { logGuard, offset, scale, isDefault } of GUARDS) {
      const logOf = (x: number) => -Math.log(offset + scale * x);
      // Guard params: none for the default, so that the default itself is what is checked.
      const guard = isDefault ? {} : { logGuard };

      describe(`having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1), logGuard ${logGuard} (${offset} + ${scale} x)`, () => {
        it('when gamma = 1 and wDice = 0.5, should average the log-Dice and the weighted log terms', () => {
          const expDice = (logOf(DICE0) + logOf(DICE1)) / 2;
          const expCe = (K * logOf(0.8) + K * logOf(0.6)) / 2;
          const value = scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams, { gamma: 1, wDice: 0.5, ...guard })));
          expect(value).toBeCloseTo(0.5 * expDice + 0.5 * expCe, 6);
        });
        it('when gamma = 0.3 and wDice = 0.8 (the defaults), should raise each log term to 0.3', () => {
          const expDice = (logOf(DICE0) ** 0.3 + logOf(DICE1) ** 0.3) / 2;
          const expCe = (K * logOf(0.8) ** 0.3 + K * logOf(0.6) ** 0.3) / 2;
          expect(scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams, guard)))).toBeCloseTo(0.8 * expDice + 0.2 * expCe, 5);
        });
        it('when the mask keeps only pixel A, should use pixel A for the Dice, the class frequencies and the mean', () => {
          // Class 0: I 0.8, P 0.8, Y 1; class 1: I 0, P 0.2, Y 0. Frequencies [1, 0] -> weight of class 0 is 1.1^-0.5.
          const mask = tf.tensor3d([1, 0], [1, 1, 2]);
          const expDice = (logOf((1.6 + S) / (1.8 + S)) + logOf(S / (0.2 + S))) / 2;
          const expCe = 1.1 ** -0.5 * logOf(0.8);
          const value = scalarValue(expLogLoss(prob(), target(), lossOptions(expLogLossParams, { gamma: 1, wDice: 0.5, ...guard }, { mask })));
          expect(value).toBeCloseTo(0.5 * expDice + 0.5 * expCe, 5);
        });
        it('when wDice = 0 and gamma = 1, should have the gradient −y k scale / (2 (offset + scale p)) by hand', () => {
          // L = (1/2) sum_i sum_c y_ic k_c (−log(offset + scale p_ic)); k does not depend on p.
          // dL/dp_ic = −(1/2) y_ic k_c scale / (offset + scale p_ic): pixel A class 0 (p 0.8), pixel B class 1 (p 0.6).
          const { analytic } = analyticAndNumericGradient(
            (x) => expLogLoss(x, target(), lossOptions(expLogLossParams, { gamma: 1, wDice: 0, ...guard })),
            new Float32Array([0.8, 0.2, 0.4, 0.6]),
            [1, 1, 2, 2],
            1e-3,
          );
          const byHand = [-(K * scale) / (2 * (offset + scale * 0.8)), 0, 0, -(K * scale) / (2 * (offset + scale * 0.6))];
          byHand.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 4));
        });
      });

      describe(`having random logits over a 2x3x3x3 batch with the softmax activation, a mask and logGuard ${logGuard}`, () => {
        it('should have a gradient matching central finite differences', () => {
          const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
          const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 2 ? 0 : 1)), [2, 3, 3]);
          expectGradientMatchesFiniteDifferences((x) => expLogLoss(x, y, lossOptions(expLogLossParams, { activation: 'softmax', ...guard }, { mask })), [2, 3, 3, 3], 23);
        });
      });
    }
  });
}
