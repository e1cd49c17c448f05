import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mumfordShahLoss, mumfordShahLossParams } from '../../src/losses/mumford-shah-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

// Two pixels, one class with p = [0.25, 0.75], image intensities [1, 3]:
// centroid (0.25 * 1 + 0.75 * 3) / 1 = 2.5; level set 0.25 * 1.5^2 + 0.75 * 0.5^2 = 0.75;
// one neighbour pair with |0.75 - 0.25| = 0.5 (l1) or 0.25 (l2); numel = 2.
const prob2d = () => tf.tensor4d([0.25, 0.75], [1, 1, 2, 1]);
const image2d = () => tf.tensor4d([1, 3], [1, 1, 2, 1]);

for (const backend of BACKENDS) {
  describe(`mumfordShahLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two pixels p = [0.25, 0.75] and intensities [1, 3]', () => {
      it('when the penalty is l1, should be (0.75 + 0.5) / 2', () => {
        expect(scalarValue(mumfordShahLoss(prob2d(), image2d(), lossOptions(mumfordShahLossParams)))).toBeCloseTo(0.625, 6);
      });
      it('when the penalty is l2, should be (0.75 + 0.25) / 2', () => {
        expect(scalarValue(mumfordShahLoss(prob2d(), image2d(), lossOptions(mumfordShahLossParams, { penalty: 'l2' })))).toBeCloseTo(0.5, 6);
      });
      it('when lambda is 2, should double the gradient term: (0.75 + 1) / 2', () => {
        expect(scalarValue(mumfordShahLoss(prob2d(), image2d(), lossOptions(mumfordShahLossParams, { lambda: 2 })))).toBeCloseTo(0.875, 6);
      });
      it('when the mask keeps only the first pixel, should be 0 (its own centroid, no pair)', () => {
        expect(scalarValue(mumfordShahLoss(prob2d(), image2d(), lossOptions(mumfordShahLossParams, {  }, { mask: tf.tensor3d([1, 0], [1, 1, 2]) })))).toBeCloseTo(0, 6);
      });
    });

    describe('having the same two voxels along depth (3D, 1x2x1x1x1)', () => {
      it('should give the 2D value: centroid over the whole volume and a depth difference', () => {
        const p = tf.tensor5d([0.25, 0.75], [1, 2, 1, 1, 1]);
        expect(scalarValue(mumfordShahLoss(p, tf.tensor5d([1, 3], [1, 2, 1, 1, 1]), lossOptions(mumfordShahLossParams)))).toBeCloseTo(0.625, 6);
      });
    });

    describe('having random logits with the softmax activation and a two-channel image', () => {
      it('when 2D (2x3x3x3) with a mask, should have a gradient matching central finite differences', () => {
        const image = tf.tensor(pseudoRandom(36, 3, 0, 1), [2, 3, 3, 2]);
        const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 0 ? 0 : 1)), [2, 3, 3]);
        expectGradientMatchesFiniteDifferences((x) => mumfordShahLoss(x, image, lossOptions(mumfordShahLossParams, { activation: 'softmax', penalty: 'l2' }, { mask })), [2, 3, 3, 3], 59);
      });
      it('when 3D (1x2x3x3x2), should have a gradient matching central finite differences', () => {
        const image = tf.tensor(pseudoRandom(36, 5, 0, 1), [1, 2, 3, 3, 2]);
        expectGradientMatchesFiniteDifferences((x) => mumfordShahLoss(x, image, lossOptions(mumfordShahLossParams, { activation: 'softmax' })), [1, 2, 3, 3, 2], 61);
      });
    });
  });
}
