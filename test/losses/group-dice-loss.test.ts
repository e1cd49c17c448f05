import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDiceGroups, groupDiceLoss, groupDiceLossParams } from '../../src/losses/group-dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
// Five classes, default groups {1, 2} and {3, 4}.
// Pixel A: p = [0.1, 0.2, 0.3, 0.2, 0.2], class 2 -> group sums [0.5, 0.4], labels [1, 0].
// Pixel B: p = [0.2, 0.1, 0.1, 0.4, 0.2], class 4 -> group sums [0.2, 0.6], labels [0, 1].
// Group 1: I = 0.5, P = 0.7, Y = 1. Group 2: I = 0.6, P = 1.0, Y = 1.
const GROUP1 = (1 + S) / (1.7 + S);
const GROUP2 = (1.2 + S) / (2 + S);
const prob = () => tf.tensor4d([0.1, 0.2, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1, 0.4, 0.2], [1, 1, 2, 5]);
const target = () => tf.tensor4d([0, 0, 1, 0, 0, 0, 0, 0, 0, 1], [1, 1, 2, 5]);

describe('defaultDiceGroups', () => {
  it('having 5 classes, should split the foreground into {1, 2} and {3, 4}', () => {
    expect(defaultDiceGroups(5)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
  it('having 4 classes, should give the remainder class 3 to the last group (PyMIC would drop it)', () => {
    expect(defaultDiceGroups(4)).toEqual([[1], [2, 3]]);
  });
  it('having 2 classes, should throw: one foreground class cannot make two groups', () => {
    expect(() => defaultDiceGroups(2)).toThrow(/too few foreground classes/);
  });
});

for (const backend of BACKENDS) {
  describe(`groupDiceLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels of five classes', () => {
      it('should be 1 - the mean Dice of the two group channels', () => {
        expect(scalarValue(groupDiceLoss(prob(), target(), lossOptions(groupDiceLossParams)))).toBeCloseTo(1 - (GROUP1 + GROUP2) / 2, 6);
      });
      it('when the groups are given as [[2]], should be the Dice loss of class 2 alone', () => {
        // Class 2: I = 0.3, P = 0.4, Y = 1.
        expect(scalarValue(groupDiceLoss(prob(), target(), lossOptions(groupDiceLossParams, { groups: [[2]] })))).toBeCloseTo(1 - (0.6 + S) / (1.4 + S), 6);
      });
      it('when the mask keeps only pixel A, should score group 2 as an empty target', () => {
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        const expected = 1 - ((1 + S) / (1.5 + S) + S / (0.4 + S)) / 2;
        expect(scalarValue(groupDiceLoss(prob(), target(), lossOptions(groupDiceLossParams, {  }, { mask })))).toBeCloseTo(expected, 6);
      });
      it('when a class is in two groups, should throw', () => {
        expect(() => groupDiceLoss(prob(), target(), lossOptions(groupDiceLossParams, { groups: [[1, 2], [2]] }))).toThrow(/in two groups/);
      });
    });

    describe('having random logits over a 2x3x3x5 batch with the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 5), [2, 3, 3], 'int32'), 5);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 5 === 2 ? 0 : 1)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => groupDiceLoss(x, y, lossOptions(groupDiceLossParams, { activation: 'softmax' }, { mask })), [2, 3, 3, 5], 9);
      });
    });
  });
}
