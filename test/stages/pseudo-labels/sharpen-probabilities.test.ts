import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { SharpenProbabilities, sharpenProbabilities } from '../../../src/stages/pseudo-labels/sharpen-probabilities.js';
import { expectGradientMatchesFiniteDifferences } from '../../losses/loss-gradient-check.js';
import { pseudoRandom } from '../../losses/tensor-test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(SharpenProbabilities, { nodeName: 'sharp', params });
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('sharpenProbabilities', () => {
  describe("having one pixel p = (0.6, 0.4) and mode 'elementwise'", () => {
    it('should give 0.36/0.52 and 0.16/0.52 at T = 0.5 (p² / (p² + (1 − p)²))', () => {
      const s = values(sharpenProbabilities(tf.tensor2d([[0.6, 0.4]]), 0.5, 'elementwise'));
      expect(s[0]).toBeCloseTo(0.36 / 0.52, 6);
      expect(s[1]).toBeCloseTo(0.16 / 0.52, 6);
    });
    it("should give MC-Net's 0.6^10 / (0.6^10 + 0.4^10) = 0.98295 at T = 0.1", () => {
      const s = values(sharpenProbabilities(tf.tensor2d([[0.6, 0.4]]), 0.1, 'elementwise'));
      expect(s[0]).toBeCloseTo(0.6 ** 10 / (0.6 ** 10 + 0.4 ** 10), 5);
      expect(s[1]).toBeCloseTo(0.4 ** 10 / (0.4 ** 10 + 0.6 ** 10), 5);
    });
    it('should leave the probabilities unchanged at T = 1', () => {
      const s = values(sharpenProbabilities(tf.tensor2d([[0.6, 0.4]]), 1, 'elementwise'));
      expect(s[0]).toBeCloseTo(0.6, 6);
      expect(s[1]).toBeCloseTo(0.4, 6);
    });
  });

  describe("having three classes p = (0.6, 0.3, 0.1) and mode 'elementwise'", () => {
    it('should sharpen each class against its own complement, so the result need not sum to 1', () => {
      const s = values(sharpenProbabilities(tf.tensor2d([[0.6, 0.3, 0.1]]), 0.5, 'elementwise'));
      expect(s[0]).toBeCloseTo(0.36 / (0.36 + 0.16), 6);
      expect(s[1]).toBeCloseTo(0.09 / (0.09 + 0.49), 6);
      expect(s[2]).toBeCloseTo(0.01 / (0.01 + 0.81), 6);
      expect(s[0] + s[1] + s[2]).not.toBeCloseTo(1, 2);
    });
  });

  describe("having three classes p = (0.6, 0.3, 0.1) and mode 'normalised'", () => {
    it('should give p^{1/T} / Σ p^{1/T} = (0.36, 0.09, 0.01)/0.46 at T = 0.5', () => {
      const s = values(sharpenProbabilities(tf.tensor2d([[0.6, 0.3, 0.1]]), 0.5, 'normalised'));
      [0.36, 0.09, 0.01].forEach((v, c) => expect(s[c]).toBeCloseTo(v / 0.46, 6));
    });
  });

  describe('having probabilities of exactly 0 and 1 and a very small temperature', () => {
    it('should give finite values in [0, 1] (no 0/0 from p^{1/T} underflow)', () => {
      for (const mode of ['elementwise', 'normalised'] as const) {
        const s = values(sharpenProbabilities(tf.tensor2d([[1, 0], [0.5, 0.5], [0.45, 0.55]]), 0.005, mode));
        expect(s.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `${mode}: ${s}`).toBe(true);
        expect(s[0]).toBeCloseTo(1, 6);
        expect(s[2]).toBeCloseTo(0.5, 6);
        expect(s[4]).toBeLessThan(1e-6);
      }
    });
  });

  describe('when differentiated', () => {
    it('should match central finite differences in both modes', () => {
      const projection = tf.tensor(pseudoRandom(4 * 3, 5, -1, 1), [4, 3]);
      for (const mode of ['elementwise', 'normalised'] as const) {
        expectGradientMatchesFiniteDifferences(
          (x) => tf.tidy(() => tf.sum(tf.mul(sharpenProbabilities(tf.softmax(x), 0.5, mode), projection)) as tf.Scalar),
          [4, 3],
          13,
          { lo: -1, hi: 1 },
        );
      }
      projection.dispose();
    });
  });

  describe('when the temperature is not positive', () => {
    it('should throw naming the temperature', () => {
      expect(() => sharpenProbabilities(tf.tensor2d([[0.5, 0.5]]), 0, 'elementwise')).toThrow('temperature must be a positive number, got 0');
    });
  });
});

describe('the SharpenProbabilities stage', () => {
  it('should default to MC-Net: elementwise, T = 0.1, gradient passing', () => {
    const params = SharpenProbabilities.paramsSchema.parse({});
    expect(params).toEqual({ temperature: 0.1, mode: 'elementwise', stopGradient: false });
  });

  describe('having stopGradient on or off', () => {
    it('should block or pass the gradient to the probabilities', () => {
      for (const stopGradient of [false, true]) {
        const stage = stageWith({ stopGradient, temperature: 0.5 });
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(stage.compute({ prob: p }).sharpened, tf.tensor2d([[1, 0]]))))(tf.tensor2d([[0.6, 0.4]]));
        // d/dp0 of p0²/(p0² + (1 − p0)²) at 0.6: 2 p (1 − p) / (p² + (1 − p)²)² = 0.48 / 0.2704.
        if (stopGradient) expect(values(g).every((v) => v === 0)).toBe(true);
        else expect(values(g)[0]).toBeCloseTo(0.48 / 0.2704, 4);
        g.dispose();
      }
    });
  });

  it('should reject a non-positive temperature in its params', () => {
    expect(() => SharpenProbabilities.paramsSchema.parse({ temperature: 0 })).toThrow();
  });

  it('should be registered as a built-in stage', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'SharpenProbabilities')).toEqual([SharpenProbabilities]);
  });
});
