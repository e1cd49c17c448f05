import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { SharpenedVoteLabel } from '../../../src/stages/pseudo-labels/sharpened-vote-label.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: Record<string, unknown>) =>
  instantiateStage(SharpenedVoteLabel, { nodeName: 'vote', params });

describe('SharpenedVoteLabel', () => {
  describe('having two voters and a label over three pixels of three classes, T = 0.5', () => {
    it('should give s²/(s² + (1 − s)²) of the vote shares: 1 for 3 of 3, 0.8 for 2 of 3, 0.2 for 1 of 3, 0 for none', () => {
      const a = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]; // argmax 0, 1, 2
      const b = [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]; // argmax 0, 2, 1
      const label = [0, 1, 0];
      const target = tf.tidy(() =>
        Array.from(
          stageWith({}).compute({ probs: [tf.tensor3d([a]), tf.tensor3d([b])], label: tf.tensor2d([label], [1, 3], 'int32') }).target.dataSync(),
        ),
      );
      // Pixel 0: shares (1, 0, 0). Pixel 1: (0, 2/3, 1/3). Pixel 2: (1/3, 1/3, 1/3).
      const expected = [1, 0, 0, 0, 0.8, 0.2, 0.2, 0.2, 0.2];
      target.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], 6));
    });
  });

  describe('having one voter, no label and T = 1', () => {
    it("should give the voter's one-hot argmax", () => {
      const target = tf.tidy(() => Array.from(stageWith({ temperature: 1 }).compute({ probs: [tf.tensor3d([[[0.3, 0.7], [0.9, 0.1]]])] }).target.dataSync()));
      expect(target).toEqual([0, 1, 1, 0]);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient to the voters: only the explicit term of Σ w · target + Σ p counts', () => {
      const stage = stageWith({});
      const g = tf.tidy(() =>
        Array.from(
          tf
            .grad((p: tf.Tensor) => tf.add(tf.sum(tf.mul(stage.compute({ probs: [p, p] }).target, tf.tensor3d([[[1, 2], [3, 4]]]))), tf.sum(p)))(
              tf.tensor3d([[[0.3, 0.7], [0.6, 0.4]]]),
            )
            .dataSync(),
        ),
      );
      expect(g).toEqual([1, 1, 1, 1]);
    });
  });

  describe('when the voters differ in shape', () => {
    it('should throw naming the node', () => {
      expect(() => tf.tidy(() => stageWith({}).compute({ probs: [tf.zeros([1, 2, 3]), tf.zeros([1, 3, 3])] }))).toThrow(/node "vote": voters differ in shape/);
    });
  });
});
