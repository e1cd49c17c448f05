import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropyFromProbabilities, crossEntropyLoss } from '../../src/losses/cross-entropy-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { isMicflowError } from '../../src/errors/micflow-error.js';
import { BACKENDS, analyticAndNumericGradient, maxAbsDifference, pseudoRandom, scalarValue, useBackend } from './tensor-test-helpers.js';

// Two pixels, two classes, both with logits [0, ln 3], so softmax = [1/4, 3/4] at each pixel.
// Pixel A is labelled class 1: nll_A = -ln(3/4) = ln(4/3). Pixel B is labelled class 0: nll_B = -ln(1/4) = ln 4.
const LN3 = Math.log(3);
const NLL_A = Math.log(4 / 3);
const NLL_B = Math.log(4);
const twoPixelLogits = () => tf.tensor4d([0, LN3, 0, LN3], [1, 1, 2, 2]);
const twoPixelOneHot = () => tf.tensor4d([0, 1, 1, 0], [1, 1, 2, 2]);

for (const backend of BACKENDS) {
  describe(`crossEntropyLoss on the ${backend} backend`, () => {
    beforeAll(async () => useBackend(backend));
    afterEach(() => tf.disposeVariables());

    describe('having one pixel with logits [0, ln 3] (softmax [1/4, 3/4])', () => {
      it('when labelled class 1, should be -ln(3/4)', () => {
        const loss = scalarValue(crossEntropyLoss(tf.tensor4d([0, LN3], [1, 1, 1, 2]), tf.tensor4d([0, 1], [1, 1, 1, 2])));
        expect(loss).toBeCloseTo(-Math.log(3 / 4), 6);
      });
      it('when labelled class 0, should be -ln(1/4)', () => {
        const loss = scalarValue(crossEntropyLoss(tf.tensor4d([0, LN3], [1, 1, 1, 2]), tf.tensor4d([1, 0], [1, 1, 1, 2])));
        expect(loss).toBeCloseTo(Math.log(4), 6);
      });
      it('when a constant is added to every logit, should not change', () => {
        const loss = scalarValue(crossEntropyLoss(tf.tensor4d([50, 50 + LN3], [1, 1, 1, 2]), tf.tensor4d([0, 1], [1, 1, 1, 2])));
        expect(loss).toBeCloseTo(-Math.log(3 / 4), 5);
      });
    });

    describe('having two pixels labelled class 1 and class 0', () => {
      it('when unweighted, should be the plain mean (nll_A + nll_B) / 2', () => {
        expect(scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot()))).toBeCloseTo((NLL_A + NLL_B) / 2, 6);
      });
      it('when class weights are [1, 3], should be the PyTorch weighted mean (3 nll_A + 1 nll_B) / (3 + 1)', () => {
        const loss = scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot(), { classWeights: [1, 3] }));
        expect(loss).toBeCloseTo((3 * NLL_A + 1 * NLL_B) / 4, 6);
        // Dividing by the pixel count instead, (3 nll_A + nll_B) / 2, would be about 1.125; the weighted mean is 0.562.
        expect(loss).not.toBeCloseTo((3 * NLL_A + NLL_B) / 2, 2);
      });
      it('when class weights are equal, should equal the unweighted loss', () => {
        const loss = scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot(), { classWeights: [2, 2] }));
        expect(loss).toBeCloseTo((NLL_A + NLL_B) / 2, 6);
      });
      it('when the mask keeps only pixel A, should be nll_A', () => {
        const mask = tf.tensor3d([1, 0], [1, 1, 2]);
        expect(scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot(), { mask }))).toBeCloseTo(NLL_A, 6);
      });
      it('when pixel weights are [2, 1], should be (2 nll_A + nll_B) / 3', () => {
        const pixelWeight = tf.tensor3d([2, 1], [1, 1, 2]);
        const loss = scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot(), { pixelWeight }));
        expect(loss).toBeCloseTo((2 * NLL_A + NLL_B) / 3, 6);
      });
      it('when class weights [1, 3], pixel weights [2, 1] and mask [1, 1] combine, should multiply per pixel', () => {
        // W_A = 3 * 2 = 6, W_B = 1 * 1 = 1.
        const loss = scalarValue(
          crossEntropyLoss(twoPixelLogits(), twoPixelOneHot(), {
            classWeights: [1, 3],
            pixelWeight: tf.tensor3d([2, 1], [1, 1, 2]),
            mask: tf.tensor3d([1, 1], [1, 1, 2], 'int32'),
          }),
        );
        expect(loss).toBeCloseTo((6 * NLL_A + NLL_B) / 7, 6);
      });
      it('when every pixel is masked out, should be 0 with a zero, finite gradient', () => {
        const mask = tf.zeros([1, 1, 2]);
        const target = twoPixelOneHot();
        const logits = tf.variable(twoPixelLogits());
        const { value, grads } = tf.variableGrads(() => crossEntropyLoss(logits, target, { mask }), [logits]);
        expect(value.dataSync()[0]).toBe(0);
        expect(Array.from(grads[logits.name].dataSync()).map(Math.abs)).toEqual([0, 0, 0, 0]);
      });
    });

    describe('having logits of magnitude 1e4', () => {
      it('when the label matches the large logit, should be 0 and finite', () => {
        const loss = scalarValue(crossEntropyLoss(tf.tensor4d([1e4, -1e4], [1, 1, 1, 2]), tf.tensor4d([1, 0], [1, 1, 1, 2])));
        expect(loss).toBe(0);
      });
      it('when the label is the small logit, should be the logit gap 2e4 with a finite gradient', () => {
        const target = tf.tensor4d([0, 1], [1, 1, 1, 2]);
        const logits = tf.variable(tf.tensor4d([1e4, -1e4], [1, 1, 1, 2]));
        const { value, grads } = tf.variableGrads(() => crossEntropyLoss(logits, target), [logits]);
        expect(value.dataSync()[0]).toBeCloseTo(2e4, 0);
        // d/dz (logSumExp(z) - z_1) = softmax(z) - y = [1, 0] - [0, 1].
        expect(Array.from(grads[logits.name].dataSync())).toEqual([1, -1]);
      });
    });

    describe('having random logits over a 2x3x3x4 batch', () => {
      const shape = [2, 3, 3, 4];
      const labels = Array.from({ length: 18 }, (_, i) => (i * 7) % 4);
      const target = () => oneHotLabels(tf.tensor(labels, [2, 3, 3], 'int32'), 4);
      const values = pseudoRandom(72, 11);

      it('when differentiated, should match central finite differences', () => {
        const y = target();
        const { analytic, numeric } = analyticAndNumericGradient((x) => crossEntropyLoss(x, y), values, shape, 1e-3);
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(2e-4);
        expect(maxAbsDifference(analytic, new Float32Array(analytic.length))).toBeGreaterThan(1e-3);
      });
      it('when weighted by class, pixel and mask, should still match central finite differences', () => {
        const y = target();
        const pixelWeight = tf.tensor(pseudoRandom(18, 5, 0.5, 2), [2, 3, 3]);
        const mask = tf.tensor(labels.map((_, i) => (i % 3 === 0 ? 0 : 1)), [2, 3, 3]);
        const options = { classWeights: [0.5, 1, 2, 4], pixelWeight, mask };
        const { analytic, numeric } = analyticAndNumericGradient((x) => crossEntropyLoss(x, y, options), values, shape, 1e-3);
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(5e-4);
      });
      it('when called, should leave no tensors behind', () => {
        const y = target();
        const x = tf.tensor(values, shape);
        const before = tf.memory().numTensors;
        crossEntropyLoss(x, y, { classWeights: [1, 1, 1, 1] }).dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  });

  describe(`crossEntropyFromProbabilities on the ${backend} backend`, () => {
    beforeAll(async () => useBackend(backend));

    describe('having two pixels with probabilities [1/4, 3/4], labelled 1 and 0', () => {
      it('should be the mean of -ln(3/4) and -ln(1/4)', () => {
        const prob = tf.tensor4d([0.25, 0.75, 0.25, 0.75], [1, 1, 2, 2]);
        expect(scalarValue(crossEntropyFromProbabilities(prob, twoPixelOneHot()))).toBeCloseTo((NLL_A + NLL_B) / 2, 6);
      });
      it('should agree with crossEntropyLoss on the matching logits', () => {
        const prob = tf.softmax(twoPixelLogits());
        const fromProb = scalarValue(crossEntropyFromProbabilities(prob, twoPixelOneHot()));
        expect(fromProb).toBeCloseTo(scalarValue(crossEntropyLoss(twoPixelLogits(), twoPixelOneHot())), 5);
      });
    });

    describe('having probability 0 on the labelled class', () => {
      it('when eps is the default 1e-5, should be clamped to -ln(1e-5) and finite', () => {
        const loss = scalarValue(crossEntropyFromProbabilities(tf.tensor4d([1, 0], [1, 1, 1, 2]), tf.tensor4d([0, 1], [1, 1, 1, 2])));
        expect(loss).toBeCloseTo(-Math.log(1e-5), 4);
      });
      it('when eps is 1e-2, should be -ln(1e-2)', () => {
        const loss = scalarValue(crossEntropyFromProbabilities(tf.tensor4d([1, 0], [1, 1, 1, 2]), tf.tensor4d([0, 1], [1, 1, 1, 2]), 1e-2));
        expect(loss).toBeCloseTo(-Math.log(1e-2), 5);
      });
    });

    describe('having random probabilities inside (0.05, 1)', () => {
      it('when differentiated, should match central finite differences', () => {
        const shape = [1, 2, 3, 3];
        const y = oneHotLabels(tf.tensor([0, 1, 2, 2, 1, 0], [1, 2, 3], 'int32'), 3);
        const values = pseudoRandom(18, 3, 0.05, 1);
        const { analytic, numeric } = analyticAndNumericGradient((x) => crossEntropyFromProbabilities(x, y), values, shape, 1e-3);
        expect(maxAbsDifference(analytic, numeric)).toBeLessThan(2e-3);
      });
    });
  });
}

describe('crossEntropyLoss input checks', () => {
  beforeAll(async () => useBackend('cpu'));

  it('having an int32 class map as target, should throw invalid-shape mentioning oneHotLabels', () => {
    const act = () => crossEntropyLoss(tf.zeros([1, 2, 2, 3]), tf.zeros([1, 2, 2], 'int32'));
    expect(act).toThrow(/oneHotLabels/);
    try {
      act();
    } catch (error) {
      expect(isMicflowError(error) && error.kind).toBe('invalid-shape');
    }
  });
  it('having 2 class weights for 3 classes, should throw invalid-argument', () => {
    expect(() => crossEntropyLoss(tf.zeros([1, 1, 1, 3]), tf.zeros([1, 1, 1, 3]), { classWeights: [1, 2] })).toThrow(/2 class weights given for 3 classes/);
  });
  it('having a mask of the wrong shape, should throw invalid-shape', () => {
    expect(() => crossEntropyLoss(tf.zeros([1, 2, 2, 3]), tf.zeros([1, 2, 2, 3]), { mask: tf.ones([1, 2, 3]) })).toThrow(/mask shape/);
  });
});
