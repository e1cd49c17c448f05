import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { BACKENDS, analyticAndNumericGradient, maxAbsDifference, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

const S = 1e-5; // PyMIC's smoothing term
// Two pixels, two classes. Pixel A: p = [0.8, 0.2], labelled class 0. Pixel B: p = [0.4, 0.6], labelled class 1.
// Class 0: intersect = 0.8, sum p = 1.2, sum y = 1 -> dice0 = (1.6 + S) / (2.2 + S)
// Class 1: intersect = 0.6, sum p = 0.8, sum y = 1 -> dice1 = (1.2 + S) / (1.8 + S)
const DICE0 = (1.6 + S) / (2.2 + S);
const DICE1 = (1.2 + S) / (1.8 + S);
const prob = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const oneHot = () => tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`diceLoss on the ${backend} backend`, () => {
    beforeAll(async () => useBackend(backend));
    afterEach(() => tf.disposeVariables());

    describe('having two pixels p = [0.8, 0.2] (class 0) and [0.4, 0.6] (class 1)', () => {
      it('when unweighted, should be 1 - (dice0 + dice1) / 2', () => {
        expect(scalarValue(diceLoss(prob(), oneHot()))).toBeCloseTo(1 - (DICE0 + DICE1) / 2, 6);
      });
      it('when class weights are [1, 3], should be (1 (1 - dice0) + 3 (1 - dice1)) / 4', () => {
        const loss = scalarValue(diceLoss(prob(), oneHot(), { classWeights: [1, 3] }));
        expect(loss).toBeCloseTo((1 * (1 - DICE0) + 3 * (1 - DICE1)) / 4, 6);
      });
      it('when the mask keeps only pixel A, should count class 1 as an empty target (dice ~ S / 0.2)', () => {
        // Class 0: intersect 0.8, sum p 0.8, sum y 1 -> (1.6 + S) / (1.8 + S). Class 1: intersect 0, sum p 0.2, sum y 0.
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        const expected = 1 - ((1.6 + S) / (1.8 + S) + S / (0.2 + S)) / 2;
        expect(scalarValue(diceLoss(prob(), oneHot(), { mask }))).toBeCloseTo(expected, 6);
      });
      it('when pixel weights are [2, 1], should weight every sum', () => {
        // Class 0: intersect 2*0.8 = 1.6, sum p 2*0.8 + 0.4 = 2.0, sum y 2 -> (3.2 + S) / (4 + S)
        // Class 1: intersect 0.6, sum p 2*0.2 + 0.6 = 1.0, sum y 1 -> (1.2 + S) / (2 + S)
        const pixelWeight = tf.tensor3d([2, 1], [1, 1, 2]);
        const expected = 1 - ((3.2 + S) / (4 + S) + (1.2 + S) / (2 + S)) / 2;
        expect(scalarValue(diceLoss(prob(), oneHot(), { pixelWeight }))).toBeCloseTo(expected, 6);
      });
    });

    describe('having a prediction equal to the one-hot target', () => {
      it('should be 0', () => {
        expect(scalarValue(diceLoss(oneHot(), oneHot()))).toBeCloseTo(0, 6);
      });
      it('when a class is absent from both, should still be about 0 (that class scores S / S = 1)', () => {
        const target = tf.tensor4d([1, 0, 0, 1, 0, 0], [1, 1, 2, 3]);
        expect(scalarValue(diceLoss(target, target))).toBeCloseTo(0, 6);
      });
    });

    describe('having a batch of two images', () => {
      it('should pool both images into one volume per class rather than average per image', () => {
        // Image 1 is pixel A, image 2 is pixel B: the pooled result equals the two-pixel single-image value.
        const batched = diceLoss(tf.tensor4d([0.8, 0.2, 0.4, 0.6], [2, 1, 1, 2]), tf.tensor4d([1, 0, 0, 1], [2, 1, 1, 2]));
        expect(scalarValue(batched)).toBeCloseTo(1 - (DICE0 + DICE1) / 2, 6);
      });
    });

    describe('having softmax probabilities of random logits over a 2x3x3x3 batch', () => {
      const shape = [2, 3, 3, 3];
      const labels = Array.from({ length: 18 }, (_, i) => (i * 5) % 3);
      const target = () => oneHotLabels(tf.tensor(labels, [2, 3, 3], 'int32'), 3);
      const logits = pseudoRandom(54, 21);

      it('when differentiated with respect to the probabilities, should match central finite differences', () => {
        const y = target();
        const values = tf.tidy(() => tf.softmax(tf.tensor(logits, shape)).dataSync() as Float32Array);
        const { analytic, numeric } = analyticAndNumericGradient((x) => diceLoss(x, y), values, shape, 1e-3);
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(3e-4);
        expect(maxAbsDifference(analytic, new Float32Array(analytic.length))).toBeGreaterThan(1e-3);
      });
      it('when differentiated with class weights, pixel weights and a mask, should match central finite differences', () => {
        const y = target();
        const options = {
          classWeights: [1, 2, 0.5],
          pixelWeight: tf.tensor(pseudoRandom(18, 9, 0.5, 2), [2, 3, 3]),
          mask: tf.tensor(labels.map((_, i) => (i % 4 === 1 ? 0 : 1)), [2, 3, 3]),
        };
        const values = tf.tidy(() => tf.softmax(tf.tensor(logits, shape)).dataSync() as Float32Array);
        const { analytic, numeric } = analyticAndNumericGradient((x) => diceLoss(x, y, options), values, shape, 1e-3);
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(3e-4);
        // Masked pixels (i % 4 === 1) must get exactly zero gradient.
        for (let i = 1; i < 18; i += 4) expect(Array.from(analytic.slice(3 * i, 3 * i + 3)).map(Math.abs)).toEqual([0, 0, 0]);
      });
      it('when called, should leave no tensors behind', () => {
        const y = target();
        const x = tf.tensor(logits, shape);
        const before = tf.memory().numTensors;
        diceLoss(x, y, { classWeights: [1, 1, 1], mask: undefined }).dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    });

    describe('having probabilities from softmax of logits of magnitude 1e4 (exactly 0 and 1)', () => {
      it('should stay finite with a finite gradient', () => {
        const y = tf.tensor4d([0, 1, 1, 0], [1, 1, 2, 2]);
        const prob = tf.variable(tf.softmax(tf.tensor4d([1e4, -1e4, -1e4, 1e4], [1, 1, 2, 2])));
        const { value, grads } = tf.variableGrads(() => diceLoss(prob, y), [prob]);
        expect(value.dataSync()[0]).toBeCloseTo(1, 4); // completely wrong prediction
        expect(Array.from(grads[prob.name].dataSync()).every(Number.isFinite)).toBe(true);
      });
    });
  });
}
