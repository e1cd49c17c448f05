import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { totalVariationLoss, totalVariationLossParams } from '../../src/losses/total-variation-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

// A row [0, 0, 1, 1] becomes p' = [b, b, a, a], a = 0.9995, b = 0.0005. Its 3-window erosion is [b, b, b, a], the
// max filter of that (the opening) is [b, b, a, a], so the contour relu(opening - erosion) is [0, 0, a - b, 0].
const EDGE = 0.9995 - 0.0005;

for (const backend of BACKENDS) {
  describe(`totalVariationLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having a 2D image with one step edge, 1x1x4x1', () => {
      it('should be the one contour value over 4 pixels', () => {
        expect(scalarValue(totalVariationLoss(tf.tensor4d([0, 0, 1, 1], [1, 1, 4, 1]), lossOptions(totalVariationLossParams)))).toBeCloseTo(EDGE / 4, 6);
      });
      it('when batched after an all-zero image, should not filter across the batch axis (PyMIC takes the 3D path here)', () => {
        // Filtering over (N, H, W) as PyMIC's 3D branch would erode the edge image with the zero image: contour 0.
        const batch = tf.tensor4d([0, 0, 0, 0, 0, 0, 1, 1], [2, 1, 4, 1]);
        expect(scalarValue(totalVariationLoss(batch, lossOptions(totalVariationLossParams)))).toBeCloseTo(EDGE / 8, 6);
      });
      it('when the mask excludes the edge pixel, should be 0', () => {
        const mask = tf.tensor3d([1, 1, 0, 1], [1, 1, 4]);
        expect(scalarValue(totalVariationLoss(tf.tensor4d([0, 0, 1, 1], [1, 1, 4, 1]), lossOptions(totalVariationLossParams, {  }, { mask })))).toBeCloseTo(0, 7);
      });
    });

    describe('having a constant prediction', () => {
      it('should be 0', () => {
        expect(scalarValue(totalVariationLoss(tf.fill([1, 3, 3, 2], 0.3), lossOptions(totalVariationLossParams)))).toBeCloseTo(0, 7);
      });
    });

    describe('having a 3D volume with the same step edge along width, 1x1x1x4x1', () => {
      it('should give the 2D value', () => {
        expect(scalarValue(totalVariationLoss(tf.tensor5d([0, 0, 1, 1], [1, 1, 1, 4, 1]), lossOptions(totalVariationLossParams)))).toBeCloseTo(EDGE / 4, 6);
      });
      it('when the edge runs along depth, should filter along depth too', () => {
        expect(scalarValue(totalVariationLoss(tf.tensor5d([0, 0, 1, 1], [1, 4, 1, 1, 1]), lossOptions(totalVariationLossParams)))).toBeCloseTo(EDGE / 4, 6);
      });
    });

    describe('having random logits with the softmax activation', () => {
      it('when 2D (1x4x5x2), should have a gradient matching central finite differences', () => {
        expectGradientMatchesFiniteDifferences((x) => totalVariationLoss(x, lossOptions(totalVariationLossParams, { activation: 'softmax' })), [1, 4, 5, 2], 47, { eps: 1e-3 });
      });
      it('when 3D (1x3x3x4x2) with a mask, should have a gradient matching central finite differences', () => {
        const mask = tf.tensor(Array.from({ length: 36 }, (_, i) => (i % 5 === 0 ? 0 : 1)), [1, 3, 3, 4]);
        expectGradientMatchesFiniteDifferences((x) => totalVariationLoss(x, lossOptions(totalVariationLossParams, { activation: 'softmax' }, { mask })), [1, 3, 3, 4, 2], 53, { eps: 1e-3 });
      });
    });
  });
}
