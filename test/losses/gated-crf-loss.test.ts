import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatedCrfLoss } from '../../src/losses/gated-crf-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

// Two horizontally adjacent pixels, radius 1: each has exactly one neighbour inside the image, at distance 1.
const disagreeing = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
const uncertain = () => tf.tensor4d([0.5, 0.5, 0.5, 0.5], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`gatedCrfLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two adjacent pixels and radius 1', () => {
      it('when they disagree and the kernel is xy = 1, should be 2 exp(-1/2) (1 - 0) / 2 pixels', () => {
        expect(scalarValue(gatedCrfLoss(disagreeing(), undefined, { radius: 1, kernels: [{ weight: 1, xy: 1 }] }))).toBeCloseTo(Math.exp(-0.5), 6);
      });
      it('when both are [0.5, 0.5], should count agreement 0.5: exp(-1/2) / 2', () => {
        expect(scalarValue(gatedCrfLoss(uncertain(), undefined, { radius: 1, kernels: [{ weight: 1, xy: 1 }] }))).toBeCloseTo(Math.exp(-0.5) / 2, 6);
      });
      it('when the kernel has xy = 1 and image = 1 with intensities [0, 1], should multiply both Gaussians: exp(-1)', () => {
        const image = tf.tensor4d([0, 1], [1, 1, 2, 1]);
        const loss = gatedCrfLoss(disagreeing(), image, { radius: 1, kernels: [{ weight: 1, xy: 1, image: 1 }] });
        expect(scalarValue(loss)).toBeCloseTo(Math.exp(-1), 6);
      });
      it('when two kernels of weights 0.5 and 2 are given, should sum them', () => {
        const loss = gatedCrfLoss(disagreeing(), undefined, { radius: 1, kernels: [{ weight: 0.5, xy: 1 }, { weight: 2, xy: 2 }] });
        expect(scalarValue(loss)).toBeCloseTo(0.5 * Math.exp(-0.5) + 2 * Math.exp(-1 / 8), 6);
      });
      it('when they agree, should be 0', () => {
        expect(scalarValue(gatedCrfLoss(tf.tensor4d([1, 0, 1, 0], [1, 1, 2, 2]), undefined, { radius: 1, kernels: [{ weight: 1, xy: 1 }] }))).toBeCloseTo(0, 7);
      });
      it('when the mask gates out one pixel, should have no pair left: 0', () => {
        const loss = gatedCrfLoss(disagreeing(), undefined, { radius: 1, kernels: [{ weight: 1, xy: 1 }], mask: tf.tensor3d([1, 0], [1, 1, 2]) });
        expect(scalarValue(loss)).toBeCloseTo(0, 7);
      });
      it('when a kernel needs the image and none is given, should throw', () => {
        expect(() => gatedCrfLoss(disagreeing(), undefined, { radius: 1 })).toThrow(/no image was given/);
      });
    });

    describe('having random logits over 2x4x5x3 with an image, radius 2, the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const image = tf.tensor(pseudoRandom(40, 7, 0, 1), [2, 4, 5, 1]);
        const mask = tf.tensor(Array.from({ length: 40 }, (_, i) => (i % 6 === 0 ? 0 : 1)), [2, 4, 5]);
        expectGradientMatchesFiniteDifferences(
          (x) => gatedCrfLoss(x, image, { activation: 'softmax', radius: 2, kernels: [{ weight: 1, xy: 2, image: 0.5 }], mask }),
          [2, 4, 5, 3],
          67,
        );
      });
    });
  });
}
