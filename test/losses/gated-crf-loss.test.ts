import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatedCrfLoss, gatedCrfLossParams } from '../../src/losses/gated-crf-loss.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { BACKENDS, lossOptions, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

/** The definition by direct loops over pixels and in-image neighbours (probabilities given, gate optional). */
function gatedCrfByLoops(
  p: Float32Array, image: Float32Array, gate: Float32Array | undefined, [n, h, w, c]: number[], r: number,
  kernels: Array<{ weight: number; xy?: number; image?: number }>,
): number {
  let total = 0;
  let gates = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (b * h + y) * w + x;
        const gi = gate ? gate[i] : 1;
        gates += gi;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if ((!dy && !dx) || yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            const j = (b * h + yy) * w + xx;
            let affinity = 0;
            for (const k of kernels) {
              const e = (k.xy ? -(dy * dy + dx * dx) / (2 * k.xy * k.xy) : 0) - (k.image ? (image[i] - image[j]) ** 2 / (2 * k.image * k.image) : 0);
              affinity += k.weight * Math.exp(e);
            }
            let agreement = 0;
            for (let ch = 0; ch < c; ch++) agreement += p[i * c + ch] * p[j * c + ch];
            total += gi * (gate ? gate[j] : 1) * affinity * (1 - agreement);
          }
      }
  return total / (gate ? Math.max(gates, 1) : n * h * w);
}

// Two horizontally adjacent pixels, radius 1: each has exactly one neighbour inside the image, at distance 1.
const disagreeing = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
const uncertain = () => tf.tensor4d([0.5, 0.5, 0.5, 0.5], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`gatedCrfLoss on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    describe('having two adjacent pixels and radius 1', () => {
      it('when they disagree and the kernel is xy = 1, should be 2 exp(-1/2) (1 - 0) / 2 pixels', () => {
        expect(scalarValue(gatedCrfLoss(disagreeing(), undefined, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 1, xy: 1 }] })))).toBeCloseTo(Math.exp(-0.5), 6);
      });
      it('when both are [0.5, 0.5], should count agreement 0.5: exp(-1/2) / 2', () => {
        expect(scalarValue(gatedCrfLoss(uncertain(), undefined, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 1, xy: 1 }] })))).toBeCloseTo(Math.exp(-0.5) / 2, 6);
      });
      it('when the kernel has xy = 1 and image = 1 with intensities [0, 1], should multiply both Gaussians: exp(-1)', () => {
        const image = tf.tensor4d([0, 1], [1, 1, 2, 1]);
        const loss = gatedCrfLoss(disagreeing(), image, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 1, xy: 1, image: 1 }] }));
        expect(scalarValue(loss)).toBeCloseTo(Math.exp(-1), 6);
      });
      it('when two kernels of weights 0.5 and 2 are given, should sum them', () => {
        const loss = gatedCrfLoss(disagreeing(), undefined, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 0.5, xy: 1 }, { weight: 2, xy: 2 }] }));
        expect(scalarValue(loss)).toBeCloseTo(0.5 * Math.exp(-0.5) + 2 * Math.exp(-1 / 8), 6);
      });
      it('when they agree, should be 0', () => {
        expect(scalarValue(gatedCrfLoss(tf.tensor4d([1, 0, 1, 0], [1, 1, 2, 2]), undefined, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 1, xy: 1 }] })))).toBeCloseTo(0, 7);
      });
      it('when the mask gates out one pixel, should have no pair left: 0', () => {
        const loss = gatedCrfLoss(disagreeing(), undefined, lossOptions(gatedCrfLossParams, { radius: 1, kernels: [{ weight: 1, xy: 1 }] }, { mask: tf.tensor3d([1, 0], [1, 1, 2]) }));
        expect(scalarValue(loss)).toBeCloseTo(0, 7);
      });
      it('when a kernel needs the image and none is given, should throw', () => {
        expect(() => gatedCrfLoss(disagreeing(), undefined, lossOptions(gatedCrfLossParams, { radius: 1 }))).toThrow(/no image was given/);
      });
    });

    describe('having random probabilities over 2x6x7x3, an image, two kernels and radius 3 (wider than the border)', () => {
      it('should equal the definition computed by direct loops, with and without a gate', () => {
        const shape = [2, 6, 7, 3];
        const raw = pseudoRandom(2 * 6 * 7 * 3, 31, 0.05, 1);
        const p = new Float32Array(raw.length);
        for (let i = 0; i < raw.length; i += 3) {
          const sum = raw[i] + raw[i + 1] + raw[i + 2];
          for (let ch = 0; ch < 3; ch++) p[i + ch] = raw[i + ch] / sum;
        }
        const image = pseudoRandom(2 * 6 * 7, 37, 0, 1);
        const gate = Float32Array.from(pseudoRandom(2 * 6 * 7, 41, 0, 1), (v) => (v < 0.3 ? 0 : v));
        const kernels = [{ weight: 1, xy: 5, image: 0.3 }, { weight: 0.5, xy: 2 }];
        const args = [tf.tensor4d(p, shape as [number, number, number, number]), tf.tensor4d(image, [2, 6, 7, 1])] as const;
        const plain = scalarValue(gatedCrfLoss(args[0], args[1], lossOptions(gatedCrfLossParams, { radius: 3, kernels })));
        expect(plain).toBeCloseTo(gatedCrfByLoops(p, image, undefined, shape, 3, kernels), 4);
        const gated = scalarValue(gatedCrfLoss(args[0], args[1], lossOptions(gatedCrfLossParams, { radius: 3, kernels }, { mask: tf.tensor3d(gate, [2, 6, 7]) })));
        expect(gated).toBeCloseTo(gatedCrfByLoops(p, image, gate, shape, 3, kernels), 4);
        expect(gated).not.toBeCloseTo(plain, 2);
      });
    });

    describe('having random logits over 2x4x5x3 with an image, radius 2, the softmax activation and a mask', () => {
      it('should have a gradient matching central finite differences', () => {
        const image = tf.tensor(pseudoRandom(40, 7, 0, 1), [2, 4, 5, 1]);
        const mask = tf.tensor(Array.from({ length: 40 }, (_, i) => (i % 6 === 0 ? 0 : 1)), [2, 4, 5]);
        expectGradientMatchesFiniteDifferences(
          (x) => gatedCrfLoss(x, image, lossOptions(gatedCrfLossParams, { activation: 'softmax', radius: 2, kernels: [{ weight: 1, xy: 2, image: 0.5 }] }, { mask })),
          [2, 4, 5, 3],
          67,
        );
      });
    });
  });
}
