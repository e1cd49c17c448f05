import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deepSupervisionLoss, deepSupervisionLossParams, deepSupervisionWeights } from '../../src/losses/deep-supervision-loss.js';
import type { PixelWeightOptions } from '../../src/losses/loss-inputs.js';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { meanSquaredErrorLoss } from '../../src/losses/mean-squared-error-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { analyticAndNumericGradient, BACKENDS, maxAbsDifference, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';
import { spreadLabels } from './loss-gradient-check.js';

const mse = (p: tf.Tensor, y: tf.Tensor, w: PixelWeightOptions) => meanSquaredErrorLoss(p, y, { ...w, activation: 'none' });
/** The weights and mode as the DeepSupervisionLoss stage's params schema gives them (its defaults), with the pixel weights. */
const options = (params: Readonly<Record<string, unknown>> = {}, tensors: PixelWeightOptions = {}) => ({ ...deepSupervisionLossParams.parse(params), ...tensors });
// One channel: a 2x2 label [[1, 1], [0, 0]]; the full-resolution prediction equals it, the 1x1 one is 0.7.
const label = () => tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]);
const predictions = () => [tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]), tf.tensor4d([0.7], [1, 1, 1, 1])];

describe('deepSupervisionWeights', () => {
  it('should be 1, 1/2, 1/4, 1/8', () => {
    expect(deepSupervisionWeights(4)).toEqual([1, 0.5, 0.25, 0.125]);
  });
});

for (const backend of BACKENDS) {
  describe(`deepSupervisionLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having a 2x2 label, an exact full-resolution prediction and a 1x1 prediction of 0.7 (MSE base loss)', () => {
      it('when upsampling the prediction, should weight the 1x1 term (mean of 0.3^2, 0.3^2, 0.7^2, 0.7^2) by 1/2 of 3/2', () => {
        const loss = deepSupervisionLoss(predictions(), label(), mse, options());
        expect(scalarValue(loss)).toBeCloseTo((0.5 * ((0.09 + 0.49) / 2)) / 1.5, 6);
      });
      it('when downsampling the label, should compare 0.7 with the block mean 0.5', () => {
        const loss = deepSupervisionLoss(predictions(), label(), mse, options({ mode: 'downsample-label' }));
        expect(scalarValue(loss)).toBeCloseTo((0.5 * 0.04) / 1.5, 6);
      });
      it('when given weights [0, 1], should be the 1x1 term alone', () => {
        const loss = deepSupervisionLoss(predictions(), label(), mse, options({ weights: [0, 1] }));
        expect(scalarValue(loss)).toBeCloseTo(0.29, 6);
      });
      it('when the mask keeps the top row and the label is downsampled, should weight the block by its annotated fraction', () => {
        // Downsampled label 0.5 with weight 0.5: MSE (0.7 - 0.5)^2 either way; the full-resolution term stays 0.
        const mask = tf.tensor3d([1, 1, 0, 0], [1, 2, 2]);
        const loss = deepSupervisionLoss(predictions(), label(), mse, options({ mode: 'downsample-label' }, { mask }));
        expect(scalarValue(loss)).toBeCloseTo((0.5 * 0.04) / 1.5, 6);
      });
      it('when upsampling with the mask on the top row, should compare only the top row: (0.3^2) / 2 of 3/2', () => {
        const mask = tf.tensor3d([1, 1, 0, 0], [1, 2, 2]);
        const loss = deepSupervisionLoss(predictions(), label(), mse, options({}, { mask }));
        expect(scalarValue(loss)).toBeCloseTo((0.5 * 0.09) / 1.5, 6);
      });
      it('when the label is not a multiple of a prediction in downsample mode, should throw', () => {
        const odd = [tf.zeros([1, 3, 3, 1])];
        expect(() => deepSupervisionLoss(odd, tf.zeros([1, 4, 4, 1]), mse, options({ mode: 'downsample-label' }))).toThrow(/multiple/);
      });
    });

    describe.each(['upsample-prediction', 'downsample-label'] as const)('having Dice on softmax of three scales in mode %s', (mode) => {
      it('should have a gradient matching central finite differences for every scale', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(32, 3), [2, 4, 4], 'int32'), 3);
        const shapes = [
          [2, 4, 4, 3],
          [2, 2, 2, 3],
          [2, 1, 1, 3],
        ];
        const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
        const values = pseudoRandom(sizes.reduce((a, b) => a + b, 0), 71);
        const split = (x: tf.Tensor) => {
          let offset = 0;
          return shapes.map((s, i) => {
            const part = tf.reshape(tf.slice(x, [offset], [sizes[i]]), s);
            offset += sizes[i];
            return tf.softmax(part);
          });
        };
        const loss = (x: tf.Tensor) => deepSupervisionLoss(split(x), y, (p, t, w) => diceLoss(p, t, w), options({ mode }));
        const { analytic, numeric } = analyticAndNumericGradient(loss, values, [values.length], 2e-3);
        const scale = maxAbsDifference(numeric, new Float32Array(values.length));
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(2e-2 * scale);
        // Every scale receives a gradient.
        let offset = 0;
        for (const n of sizes) {
          expect(maxAbsDifference(analytic.slice(offset, offset + n), new Float32Array(n))).toBeGreaterThan(1e-5);
          offset += n;
        }
      });
    });
  });
}
