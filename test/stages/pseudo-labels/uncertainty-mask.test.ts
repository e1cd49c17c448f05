import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { UncertaintyMask, uncertaintyThreshold } from '../../../src/stages/pseudo-labels/uncertainty-mask.js';
import { sigmoidRampup } from '../../../src/stages/schedules/sigmoid-rampup.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(UncertaintyMask, { nodeName: 'certain', params });
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('uncertaintyThreshold', () => {
  it("should be UA-MT's (0.75 + 0.25 r) ln C: 0.75 ln 2 at r = 0, ln 5 at r = 1, 0.875 ln 5 at r = 0.5", () => {
    expect(uncertaintyThreshold(0, 2)).toBeCloseTo(0.75 * 0.6931471805599453, 12);
    expect(uncertaintyThreshold(1, 5)).toBeCloseTo(1.6094379124341003, 12);
    expect(uncertaintyThreshold(0.5, 5)).toBeCloseTo(0.875 * 1.6094379124341003, 12);
  });
});

describe('the UncertaintyMask stage', () => {
  // 2 classes: ln 2 = 0.693; thresholds 0.520 at r = 0, 0.693 at r = 1.
  const uncertainty = () => tf.tensor2d([[0.1, 0.5, 0.6, 0.69, 0.7]]);

  describe('having no ramp wired', () => {
    it('should keep the pixels with entropy below 0.75 ln 2 = 0.5199 and report threshold and kept fraction', () => {
      const out = stageWith({ classes: 2 }).compute({ uncertainty: uncertainty() });
      expect(values(out.mask)).toEqual([1, 1, 0, 0, 0]);
      expect(out.mask.dtype).toBe('float32');
      expect(out.threshold.dataSync()[0]).toBeCloseTo(0.75 * Math.log(2), 6);
      expect(out.keptFraction.dataSync()[0]).toBeCloseTo(0.4, 6);
    });
  });

  describe('having a ramp of 1', () => {
    it('should move the threshold to ln 2 and keep every pixel below it', () => {
      const out = stageWith({ classes: 2 }).compute({ uncertainty: uncertainty(), ramp: tf.scalar(1) });
      expect(out.threshold.dataSync()[0]).toBeCloseTo(Math.log(2), 6);
      expect(values(out.mask)).toEqual([1, 1, 1, 1, 0]);
    });
  });

  describe('having the sigmoid ramp at iteration 150 of 300 and 5 classes', () => {
    it('should use (0.75 + 0.25 e^{-1.25}) ln 5 as the threshold', () => {
      const ramp = sigmoidRampup(150, 0, 300, 1);
      const out = stageWith({ classes: 5 }).compute({ uncertainty: tf.tensor1d([1.32, 1.325, 1.4]), ramp: tf.scalar(ramp) });
      const expected = (0.75 + 0.25 * Math.exp(-1.25)) * Math.log(5);
      expect(out.threshold.dataSync()[0]).toBeCloseTo(expected, 5);
      expect(expected).toBeGreaterThan(1.32); // 0.82163 × 1.60944 = 1.32236
      expect(expected).toBeLessThan(1.325);
      expect(values(out.mask)).toEqual([1, 0, 0]);
    });
  });

  describe('having other threshold fractions', () => {
    it('should interpolate between threshold and rampedThreshold', () => {
      const out = stageWith({ classes: 4, threshold: 0.5, rampedThreshold: 0.9 }).compute({ uncertainty: tf.tensor1d([0.5]), ramp: tf.scalar(0.25) });
      expect(out.threshold.dataSync()[0]).toBeCloseTo(0.6 * Math.log(4), 6);
    });
  });

  describe('when the uncertainty comes from a trained tensor', () => {
    it('should pass a zero gradient through the mask without failing on the comparison', () => {
      const stage = stageWith({ classes: 2 });
      const g = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(stage.compute({ uncertainty: tf.mul(u, 1) }).mask, u)))(uncertainty());
      // d/du Σ mask · u = mask (the mask itself contributes nothing).
      expect(values(g)).toEqual([1, 1, 0, 0, 0]);
    });
  });

  it('should require the class count', () => {
    expect(() => UncertaintyMask.paramsSchema.parse({})).toThrow();
  });

  it('should be registered as a built-in stage', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'UncertaintyMask')).toEqual([UncertaintyMask]);
  });
});
