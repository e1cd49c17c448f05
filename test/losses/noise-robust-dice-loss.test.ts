import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { noiseRobustDiceLoss, noiseRobustDiceLossParams } from '../../src/losses/noise-robust-dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { expectGradientMatchesFiniteDifferences, spreadLabels } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5;
// Pixel A: p = [0.8, 0.2], class 0 -> |p - y| = [0.2, 0.2]. Pixel B: p = [0.4, 0.6], class 1 -> [0.4, 0.4].
// Denominators: class 0: (0.8 + 0.4) + 1 = 2.2; class 1: (0.2 + 0.6) + 1 = 1.8.
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const target = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`noiseRobustDiceLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when gamma = 2, should be the mean over classes of (0.04 + 0.16) / denominator', () => {
        expect(scalarValue(noiseRobustDiceLoss(prob(), target(), lossOptions(noiseRobustDiceLossParams, { gamma: 2 })))).toBeCloseTo((0.2 / (2.2 + S) + 0.2 / (1.8 + S)) / 2, 6);
      });
      it('when gamma = 1, should be the mean over classes of (0.2 + 0.4) / denominator', () => {
        expect(scalarValue(noiseRobustDiceLoss(prob(), target(), lossOptions(noiseRobustDiceLossParams, { gamma: 1 })))).toBeCloseTo((0.6 / (2.2 + S) + 0.6 / (1.8 + S)) / 2, 6);
      });
      it('when the mask keeps only pixel B, should use pixel B alone', () => {
        // gamma 1.5: class 0: 0.4^1.5 / (0.4 + 0); class 1: 0.4^1.5 / (0.6 + 1).
        const mask = tf.tensor3d([0, 1], [1, 1, 2]);
        const expected = (0.4 ** 1.5 / (0.4 + S) + 0.4 ** 1.5 / (1.6 + S)) / 2;
        expect(scalarValue(noiseRobustDiceLoss(prob(), target(), lossOptions(noiseRobustDiceLossParams, { gamma: 1.5 }, { mask })))).toBeCloseTo(expected, 5);
      });
      it('when the prediction equals the target, should be 0 with a finite gradient', () => {
        const y = target();
        const p = tf.variable(tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]));
        const { value, grads } = tf.variableGrads(() => noiseRobustDiceLoss(p, y, lossOptions(noiseRobustDiceLossParams, { gamma: 1.5 })), [p]);
        expect(value.dataSync()[0]).toBeCloseTo(0, 6);
        expect(Array.from(grads[p.name].dataSync()).every(Number.isFinite)).toBe(true);
        p.dispose();
      });
    });

    describe('having random logits over a 2x3x3x3 batch with the softmax activation and pixel weights', () => {
      it('should have a gradient matching central finite differences', () => {
        const y = oneHotLabels(tf.tensor(spreadLabels(18, 3), [2, 3, 3], 'int32'), 3);
        const pixelWeight = tf.tensor(Array.from({ length: 18 }, (_, i) => 1 + (i % 2)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => noiseRobustDiceLoss(x, y, lossOptions(noiseRobustDiceLossParams, { activation: 'softmax', gamma: 1.5 }, { pixelWeight })), [2, 3, 3, 3], 13);
      });
    });
  });
}
