import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryDiceLoss, binaryDiceLossParams } from '../../src/losses/binary-dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
// Pixel A: p = [0.5, 0.3, 0.2], class 1 -> foreground p 0.5, y 1. Pixel B: p = [0.9, 0.05, 0.05], class 0 -> 0.1, y 0.
const prob = () => tf.tensor4d([0.5, 0.3, 0.2, 0.9, 0.05, 0.05], [1, 1, 2, 3]);
const target = () => tf.tensor4d([0, 1, 0, 1, 0, 0], [1, 1, 2, 3]);

for (const backend of BACKENDS) {
  describe(`binaryDiceLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having pixel A (foreground p 0.5, labelled 1) and pixel B (foreground p 0.1, background)', () => {
      it('should be 1 - (2 * 0.5 + S) / (0.6 + 1 + S)', () => {
        expect(scalarValue(binaryDiceLoss(prob(), target(), lossOptions(binaryDiceLossParams)))).toBeCloseTo(1 - (1 + S) / (1.6 + S), 6);
      });
      it('when the foreground classes are swapped, should not change (all foreground is one class)', () => {
        const swapped = tf.tensor4d([0.5, 0.2, 0.3, 0.9, 0.05, 0.05], [1, 1, 2, 3]);
        expect(scalarValue(binaryDiceLoss(swapped, target(), lossOptions(binaryDiceLossParams)))).toBeCloseTo(1 - (1 + S) / (1.6 + S), 6);
      });
      it('when the mask keeps only pixel B, should be 1 - S / (0.1 + S) (an empty target)', () => {
        const mask = tf.tensor3d([0, 1], [1, 1, 2]);
        expect(scalarValue(binaryDiceLoss(prob(), target(), lossOptions(binaryDiceLossParams, {  }, { mask })))).toBeCloseTo(1 - S / (0.1 + S), 6);
      });
    });

    describe('having random logits over a 2x3x3x4 batch with the softmax activation and pixel weights', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 4), [2, 3, 3], 'int32'), 4);
        const pixelWeight = tf.tensor(Array.from({ length: 18 }, (_, i) => 0.5 + (i % 3)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => binaryDiceLoss(x, y, lossOptions(binaryDiceLossParams, { activation: 'softmax' }, { pixelWeight })), [2, 3, 3, 4], 7);
      });
    });
  });
}
