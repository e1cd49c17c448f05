import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { padVolume, type VolumePaddings } from '../../../src/runtime/ops/pad-volume.js';
import { BACKENDS, pseudoRandom, size, useBackend } from './op-test-helpers.js';

const cases: Array<{ name: string; shape: number[]; paddings: VolumePaddings; value: number }> = [
  { name: "a conv3dSame kernel's 'same' padding", shape: [2, 3, 4, 5, 2], paddings: [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]], value: 0 },
  { name: 'uneven padding of every axis with a constant', shape: [1, 2, 3, 2, 3], paddings: [[1, 0], [0, 2], [2, 1], [0, 1], [1, 2]], value: -0.5 },
  { name: 'depth only', shape: [2, 3, 2, 2, 1], paddings: [[0, 0], [2, 1], [0, 0], [0, 0], [0, 0]], value: 0 },
  { name: 'no padding', shape: [1, 2, 2, 2, 2], paddings: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], value: 0 },
];

describe('padVolume', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('having $name', ({ shape, paddings, value }) => {
      it("should give tf.pad's values and gradient exactly, leaving no tensors behind", () => {
        const before = tf.memory().numTensors;
        const x = tf.tensor(pseudoRandom(size(shape), 1), shape);
        const pairs = paddings.map(([a, b]) => [a, b] as [number, number]);
        const padded = padVolume(x, paddings, value);
        const expected = tf.pad(x, pairs, value);
        expect(padded.shape).toEqual(expected.shape);
        expect(Array.from(padded.dataSync())).toEqual(Array.from(expected.dataSync()));
        const weights = tf.tensor(pseudoRandom(expected.size, 2), expected.shape);
        const gradient = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(padVolume(v, paddings, value), weights)))(x));
        const reference = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.pad(v, pairs, value), weights)))(x));
        expect(Array.from(gradient.dataSync())).toEqual(Array.from(reference.dataSync()));
        tf.dispose([x, padded, expected, weights, gradient, reference]);
        expect(tf.memory().numTensors).toBe(before);
      });
    });

    it('having a rank-4 tensor, should throw', () => {
      expect(() => padVolume(tf.zeros([1, 2, 2, 1]), [[0, 0], [1, 1], [1, 1], [0, 0], [0, 0]])).toThrow(/rank-5/);
    });
  });
});
