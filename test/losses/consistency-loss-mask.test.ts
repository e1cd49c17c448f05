import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { consistencyLoss } from '../../src/losses/consistency-loss.js';
import { ConsistencyLoss } from '../../src/stages/losses/consistency-loss-stage.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Three pixels of two classes: p the prediction, q the target.
const p = [0.2, 0.8, 0.6, 0.4, 0.9, 0.1];
const q = [0.5, 0.5, 0.6, 0.4, 0.1, 0.9];
const value = (kind: 'mse' | 'kl' | 'js', mask: number[]) =>
  tf.tidy(() => consistencyLoss(tf.tensor2d(p, [3, 2]), tf.tensor2d(q, [3, 2]), kind, tf.tensor1d(mask)).dataSync()[0]);

describe('consistencyLoss with a mask', () => {
  describe('having per-pixel MSEs 0.09, 0 and 0.64 (mean over the two classes)', () => {
    it('should give the masked mean (0.09 + 0.64)/2 = 0.365 with mask (1, 0, 1)', () => {
      expect(value('mse', [1, 0, 1])).toBeCloseTo(0.365, 6);
    });
    it('should give the plain mean 0.73/3 with an all-ones mask, as without a mask', () => {
      expect(value('mse', [1, 1, 1])).toBeCloseTo(0.73 / 3, 6);
      expect(tf.tidy(() => consistencyLoss(tf.tensor2d(p, [3, 2]), tf.tensor2d(q, [3, 2]), 'mse').dataSync()[0])).toBeCloseTo(0.73 / 3, 6);
    });
    it('should weight pixels by a fractional mask: (0.5·0.09 + 0.64)/1.5', () => {
      expect(value('mse', [0.5, 0, 1])).toBeCloseTo((0.5 * 0.09 + 0.64) / 1.5, 6);
    });
  });

  describe('having the KL divergences of the three pixels', () => {
    it('should average KL(q‖p) over the kept pixels only', () => {
      const kl = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]), 0);
      const first = kl([0.5, 0.5], [0.2, 0.8]);
      const third = kl([0.1, 0.9], [0.9, 0.1]);
      expect(value('kl', [1, 0, 1])).toBeCloseTo((first + third) / 2, 5);
    });
  });

  describe('when every pixel is masked out', () => {
    it('should give 0 (not NaN) for every kind, with a zero gradient', () => {
      for (const kind of ['mse', 'kl', 'js'] as const) expect(value(kind, [0, 0, 0])).toBe(0);
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => consistencyLoss(x, tf.tensor2d(q, [3, 2]), 'mse', tf.zeros([3])))(tf.tensor2d(p, [3, 2])).dataSync());
      expect(Array.from(g).every((v) => v === 0)).toBe(true);
    });
  });

  describe('when differentiated with respect to the prediction under a mask', () => {
    it('should match central finite differences for mse, kl and js', () => {
      const target = tf.softmax(tf.tensor2d([0.3, -0.2, 1, 0.1, -1, 0.5, 0.2, 0.2, 0, 0.7, -0.4, 0.1], [4, 3]));
      const mask = tf.tensor1d([1, 0, 0.5, 1]);
      for (const kind of ['mse', 'kl', 'js'] as const) {
        expectGradientMatchesFiniteDifferences((x) => tf.tidy(() => consistencyLoss(tf.softmax(x), target, kind, mask)), [4, 3], 31);
      }
      tf.dispose([target, mask]);
    });
  });

  describe('when the mask shape is not the prediction shape without classes', () => {
    it('should throw naming both shapes', () => {
      expect(() => consistencyLoss(tf.zeros([3, 2]), tf.zeros([3, 2]), 'mse', tf.ones([2]))).toThrow(
        'consistency loss: mask shape [2] must equal the prediction shape without channels [3]',
      );
    });
  });
});

describe('the ConsistencyLoss stage', () => {
  const stageWith = (params: unknown) => instantiateStage(ConsistencyLoss, { nodeName: 'consistency', params });

  describe('having its optional mask port wired', () => {
    it('should give the masked mean and pass no gradient into the mask (backpropagation through it works)', () => {
      const stage = stageWith({ kind: 'mse' });
      const prob = tf.tensor2d(p, [3, 2]);
      const target = tf.tensor2d(q, [3, 2]);
      const mask = tf.tensor1d([1, 0, 1]);
      const out = stage.compute({ prob, target, mask });
      expect(out.loss.dataSync()[0]).toBeCloseTo(0.365, 6);
      const g = tf.grad((m: tf.Tensor) => stage.compute({ prob, target, mask: m }).loss)(mask);
      expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
      tf.dispose([prob, target, mask, out.loss, g]);
    });
  });

  describe('having the mask port unwired', () => {
    it('should give the plain mean', () => {
      const out = stageWith({}).compute({ prob: tf.tensor2d(p, [3, 2]), target: tf.tensor2d(q, [3, 2]) });
      expect(out.loss.dataSync()[0]).toBeCloseTo(0.73 / 3, 6);
    });
  });

  it('should declare the mask port optional', () => {
    expect(ConsistencyLoss.inputs.mask.optional).toBe(true);
  });
});
