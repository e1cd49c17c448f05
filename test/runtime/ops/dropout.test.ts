import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropout, dropoutMask } from '../../../src/runtime/ops/dropout.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { BACKENDS, pseudoRandom, useBackend } from './op-test-helpers.js';

describe('dropout', () => {
  describe('having a seeded generator', () => {
    it('when drawn twice from the same seed, should give the same mask', () => {
      expect(dropoutMask(1000, 0.3, new SeededRandom(7))).toEqual(dropoutMask(1000, 0.3, new SeededRandom(7)));
    });

    it('when the mask spans several draw chunks, should equal one nextUint32 comparison per value in order', () => {
      const n = 150_001;
      const random = new SeededRandom(9);
      const threshold = 0.25 * 2 ** 32;
      const expected = Float32Array.from({ length: n }, () => (random.nextUint32() < threshold ? 0 : 1 / 0.75));
      expect(dropoutMask(n, 0.25, new SeededRandom(9))).toEqual(expected);
    });

    it('when drawn from different seeds, should give different masks', () => {
      expect(dropoutMask(1000, 0.3, new SeededRandom(7))).not.toEqual(dropoutMask(1000, 0.3, new SeededRandom(8)));
    });

    it('when p = 0.3 over 200000 values, should drop 30% within 4 standard deviations and scale the rest by 1/0.7', () => {
      const n = 200_000;
      const mask = dropoutMask(n, 0.3, new SeededRandom(1));
      const dropped = mask.filter((v) => v === 0).length;
      expect(Math.abs(dropped - 0.3 * n)).toBeLessThan(4 * Math.sqrt(n * 0.3 * 0.7));
      expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.7)]));
    });
  });

  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));
    const shape = [2, 5, 7, 3];
    const x = pseudoRandom(210, 71);

    it('when applied, should multiply by the mask drawn from the generator (the same on every backend)', () => {
      const mask = dropoutMask(210, 0.5, new SeededRandom(3));
      const y = tf.tidy(() => dropout(tf.tensor4d(x, shape as never), 0.5, new SeededRandom(3)).dataSync());
      expect(Array.from(y)).toEqual(Array.from(x, (v, i) => Math.fround(v * mask[i])));
    });

    it('when differentiated, should have the mask as gradient', () => {
      const mask = dropoutMask(210, 0.2, new SeededRandom(4));
      const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.2, new SeededRandom(4))))(tf.tensor4d(x, shape as never)).dataSync());
      expect(Array.from(g)).toEqual(Array.from(mask));
    });

    it('when p = 0, should return the input itself', () => {
      tf.tidy(() => {
        const t = tf.tensor4d(x, shape as never);
        expect(dropout(t, 0, new SeededRandom(1))).toBe(t);
      });
    });

    it('when p is outside [0, 1), should throw an invalid-argument error', () => {
      tf.tidy(() => {
        expect(() => dropout(tf.zeros([2]), 1, new SeededRandom(1))).toThrow(/dropout probability/);
        expect(() => dropout(tf.zeros([2]), -0.1, new SeededRandom(1))).toThrow(/dropout probability/);
      });
    });
  });
});
