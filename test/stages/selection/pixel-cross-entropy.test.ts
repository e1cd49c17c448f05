import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { PixelCrossEntropy } from '../../../src/stages/selection/pixel-cross-entropy.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stage = instantiateStage(PixelCrossEntropy, { nodeName: 'lossMap' });

describe('PixelCrossEntropy', () => {
  describe('having logits of two pixels and three classes', () => {
    it('should give −log softmax(z)_y per pixel', () => {
      const z = [
        [1, 2, 0.5],
        [-3, 0, 40],
      ];
      const y = [1, 0];
      const map = tf.tidy(() => Array.from(stage.compute({ prediction: tf.tensor3d([z]), label: tf.tensor2d([y], [1, 2], 'int32') }).map.dataSync()));
      const expected = z.map((row, i) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[y[i]]);
      expect(map[0]).toBeCloseTo(expected[0], 5);
      expect(map[1]).toBeCloseTo(expected[1], 3); // 43: large but finite (stable log-sum-exp)
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient to the logits: only the explicit term of Σ map + Σ z counts', () => {
      const g = tf.tidy(() =>
        Array.from(
          tf
            .grad((z: tf.Tensor) => tf.add(tf.sum(stage.compute({ prediction: z, label: tf.tensor2d([[0, 1]], [1, 2], 'int32') }).map), tf.sum(z)))(
              tf.tensor3d([[[1, 2], [3, 0]]]),
            )
            .dataSync(),
        ),
      );
      expect(g).toEqual([1, 1, 1, 1]);
    });
  });

  describe('when the label does not match the prediction', () => {
    it('should throw naming the node', () => {
      expect(() => tf.tidy(() => stage.compute({ prediction: tf.zeros([1, 2, 3]), label: tf.zeros([1, 3], 'int32') }))).toThrow(/node "lossMap": label shape \[1,3\]/);
    });
  });
});
