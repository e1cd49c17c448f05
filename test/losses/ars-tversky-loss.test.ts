import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arsTverskyLoss, arsTverskyLossParams } from '../../src/losses/ars-tversky-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
/** 1 - Tversky of one region from its mean TP, FP, FN, with a = 0.3, b = 0.4 (written out from the paper's formulas). */
function regionLoss(tp: number, fp: number, fn: number): number {
  const alpha = 0.3 + (0.4 * (fp + S)) / (fp + fn + S);
  const beta = 0.3 + (0.4 * (fn + S)) / (fp + fn + S);
  return 1 - (tp + S) / (tp + alpha * fp + beta * fn + S);
}
// One 2x2 image, one (sigmoid-style) channel: p = [[0.8, 0.6], [0.3, 0.1]], y = [[1, 1], [0, 0]].
const prob = () => tf.tensor4d([0.8, 0.6, 0.3, 0.1], [1, 2, 2, 1]);
const target = () => tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]);
// Whole image: TP mean (0.8 + 0.6) / 4 = 0.35, FP (0.3 + 0.1) / 4 = 0.1, FN (0.2 + 0.4) / 4 = 0.15.
const WHOLE = regionLoss(0.35, 0.1, 0.15);
// Row regions: row 0 TP 0.7, FP 0, FN 0.3; row 1 TP 0, FP 0.2, FN 0.
const ROW0 = regionLoss(0.7, 0, 0.3);
const ROW1 = regionLoss(0, 0.2, 0);

for (const backend of BACKENDS) {
  describe(`arsTverskyLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having a 2x2 image with one channel', () => {
      it('when the patch is the whole image, should be 1 - the adaptive Tversky index of the means', () => {
        expect(scalarValue(arsTverskyLoss(prob(), target(), lossOptions(arsTverskyLossParams, { patchSize: [2, 2] })))).toBeCloseTo(WHOLE, 6);
      });
      it('when the patches are rows, should average the two row losses', () => {
        expect(scalarValue(arsTverskyLoss(prob(), target(), lossOptions(arsTverskyLossParams, { patchSize: [1, 2] })))).toBeCloseTo((ROW0 + ROW1) / 2, 6);
      });
      it('when the mask removes row 1, should count row 0 only', () => {
        const mask = tf.tensor3d([1, 1, 0, 0], [1, 2, 2]);
        expect(scalarValue(arsTverskyLoss(prob(), target(), lossOptions(arsTverskyLossParams, { patchSize: [1, 2] }, { mask })))).toBeCloseTo(ROW0, 6);
      });
      it('when the patch does not divide the image, should throw', () => {
        expect(() => arsTverskyLoss(prob(), target(), lossOptions(arsTverskyLossParams, { patchSize: [3, 2] }))).toThrow(/patchSize/);
      });
    });

    describe('having the same image repeated along a depth of 2 (3D)', () => {
      it('when the patch is the whole volume, should equal the 2D whole-image value', () => {
        const p = tf.tensor5d([0.8, 0.6, 0.3, 0.1, 0.8, 0.6, 0.3, 0.1], [1, 2, 2, 2, 1]);
        const y = tf.tensor5d([1, 1, 0, 0, 1, 1, 0, 0], [1, 2, 2, 2, 1]);
        expect(scalarValue(arsTverskyLoss(p, y, lossOptions(arsTverskyLossParams, { patchSize: [2, 2, 2] })))).toBeCloseTo(WHOLE, 6);
      });
    });

    describe('having random logits over a 2x4x4x3 batch with the softmax activation, 2x2 patches and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(32, 3), [2, 4, 4], 'int32'), 3);
        const mask = tf.tensor(Array.from({ length: 32 }, (_, i) => (i % 5 === 0 ? 0 : 1)), [2, 4, 4]);
        expectGradientMatchesFiniteDifferences((x) => arsTverskyLoss(x, y, lossOptions(arsTverskyLossParams, { activation: 'softmax', patchSize: [2, 2] }, { mask })), [2, 4, 4, 3], 17);
      });
      it('when 3D with the sigmoid activation, should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(16, 2), [1, 2, 2, 4], 'int32'), 2);
        expectGradientMatchesFiniteDifferences((x) => arsTverskyLoss(x, y, lossOptions(arsTverskyLossParams, { activation: 'sigmoid', patchSize: [1, 2, 2] })), [1, 2, 2, 4, 2], 19);
      });
    });
  });
}
