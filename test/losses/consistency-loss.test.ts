import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { consistencyLoss, type ConsistencyKind } from '../../src/losses/consistency-loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (kind: ConsistencyKind, p: number[], q: number[]) =>
  tf.tidy(() => consistencyLoss(tf.tensor2d([p]), tf.tensor2d([q]), kind).dataSync()[0]);

describe('consistencyLoss', () => {
  describe('having one pixel with p = (0.2, 0.8) and target q = (0.5, 0.5)', () => {
    it('should give MSE ((0.3)² + (0.3)²)/2 = 0.09', () => {
      expect(value('mse', [0.2, 0.8], [0.5, 0.5])).toBeCloseTo(0.09, 6);
    });
    it('should give MAE (|−0.3| + |0.3|)/2 = 0.3', () => {
      expect(value('mae', [0.2, 0.8], [0.5, 0.5])).toBeCloseTo(0.3, 6);
    });
    it('should give KL(q‖p) = 0.5 ln(0.5/0.2) + 0.5 ln(0.5/0.8) = 0.223144', () => {
      expect(value('kl', [0.2, 0.8], [0.5, 0.5])).toBeCloseTo(0.5 * Math.log(2.5) + 0.5 * Math.log(0.625), 5);
    });
    it('should give JS with m = (0.35, 0.65)', () => {
      const kl = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]), 0);
      const expected = 0.5 * kl([0.2, 0.8], [0.35, 0.65]) + 0.5 * kl([0.5, 0.5], [0.35, 0.65]);
      expect(value('js', [0.2, 0.8], [0.5, 0.5])).toBeCloseTo(expected, 5);
    });
  });

  describe('when prediction equals target', () => {
    it('should be zero for every kind', () => {
      for (const kind of ['mse', 'mae', 'kl', 'js'] as const) expect(value(kind, [0.3, 0.7], [0.3, 0.7])).toBeCloseTo(0, 6);
    });
  });

  describe('when differentiated with respect to the prediction', () => {
    it('should match central finite differences', () => {
      const p = [0.1, 0.6, 0.3, 0.25, 0.25, 0.5];
      const q = [0.2, 0.4, 0.4, 0.6, 0.2, 0.2]; // no q equal to its p: |p − q| has a kink there
      for (const kind of ['mse', 'mae', 'kl', 'js'] as const) {
        const f = (x: tf.Tensor) => consistencyLoss(x, tf.tensor2d(q, [2, 3]), kind);
        const analytic = tf.tidy(() => tf.grad(f)(tf.tensor2d(p, [2, 3])).dataSync());
        const eps = 1e-3;
        p.forEach((_, i) => {
          const at = (d: number) => tf.tidy(() => f(tf.tensor2d(p.map((v, j) => (j === i ? v + d : v)), [2, 3])).dataSync()[0]);
          expect(analytic[i], `${kind}[${i}]`).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 3);
        });
      }
    });
  });

  describe('having two pixels, the MAE kind and a mask keeping only the second', () => {
    it('should average |p − q| over the classes of the kept pixel: (0.1 + 0.3 + 0.2)/3', () => {
      const masked = tf.tidy(() =>
        consistencyLoss(tf.tensor2d([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]), tf.tensor2d([[0.9, 0.05, 0.05], [0.5, 0.4, 0.1]]), 'mae', tf.tensor1d([0, 1])).dataSync()[0],
      );
      expect(masked).toBeCloseTo((0.1 + 0.3 + 0.2) / 3, 6);
    });
  });

  describe('when shapes differ', () => {
    it('should throw naming both shapes', () => {
      expect(() => consistencyLoss(tf.zeros([1, 2]), tf.zeros([1, 3]), 'mse')).toThrow('prediction [1,2] and target [1,3] differ in shape');
    });
  });
});
