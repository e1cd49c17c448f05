import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropyLoss, entropyLossParams } from '../../src/losses/entropy-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

// A confident pixel p = [1, 0] becomes p' = [0.9995, 0.0005].
const CONFIDENT = -(0.9995 * Math.log(0.9995) + 0.0005 * Math.log(0.0005)) / Math.log(2);

for (const backend of BACKENDS) {
  describe(`entropyLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having uniform predictions', () => {
      it('when there are 2 classes, should be 1', () => {
        expect(scalarValue(entropyLoss(tf.fill([1, 2, 2, 2], 0.5), lossOptions(entropyLossParams)))).toBeCloseTo(1, 6);
      });
      it('when there are 4 classes, should be about 1 too (normalised by log C; p\' = 0.25025 sums to 1.001)', () => {
        const expected = (-4 * 0.25025 * Math.log(0.25025)) / Math.log(4);
        expect(scalarValue(entropyLoss(tf.fill([1, 1, 3, 4], 0.25), lossOptions(entropyLossParams)))).toBeCloseTo(expected, 6);
        expect(expected).toBeCloseTo(1, 2);
      });
    });

    describe('having a confident pixel [1, 0] and a uniform pixel [0.5, 0.5]', () => {
      const prob = () => tf.tensor4d([1, 0, 0.5, 0.5], [1, 1, 2, 2]);
      it('should average their normalised entropies', () => {
        expect(scalarValue(entropyLoss(prob(), lossOptions(entropyLossParams)))).toBeCloseTo((CONFIDENT + 1) / 2, 6);
      });
      it('when the mask keeps only the confident pixel, should be its entropy alone', () => {
        expect(scalarValue(entropyLoss(prob(), lossOptions(entropyLossParams, {  }, { mask: tf.tensor3d([1, 0], [1, 1, 2]) })))).toBeCloseTo(CONFIDENT, 6);
      });
    });

    describe('having random logits over a 1x2x2x3x3 volume (3D) with the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const mask = tf.tensor(Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? 0 : 1)), [1, 2, 2, 3]);
        expectGradientMatchesFiniteDifferences((x) => entropyLoss(x, lossOptions(entropyLossParams, { activation: 'softmax' }, { mask })), [1, 2, 2, 3, 3], 43);
      });
    });
  });
}
