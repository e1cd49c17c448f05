import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { ArgmaxPseudoLabel } from '../../src/stages/pseudo-labels/argmax-pseudo-label.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(ArgmaxPseudoLabel, { nodeName: 'pseudo', params });

describe('ArgmaxPseudoLabel', () => {
  describe('having two pixels with probabilities (0.1, 0.9) and (0.6, 0.4) and threshold 0.7', () => {
    it('should give labels (1, 0), confidences (0.9, 0.6) and mask (1, 0)', () => {
      const out = stageWith({ threshold: 0.7 }).compute({ prob: tf.tensor3d([[[0.1, 0.9], [0.6, 0.4]]]) });
      expect(out.label.dtype).toBe('int32');
      expect(Array.from(out.label.dataSync())).toEqual([1, 0]);
      expect(Array.from(out.confidence.dataSync())).toEqual([Math.fround(0.9), Math.fround(0.6)]);
      expect(Array.from(out.mask.dataSync())).toEqual([1, 0]);
    });
  });

  describe('without a threshold', () => {
    it('should keep every pixel', () => {
      const out = stageWith({}).compute({ prob: tf.tensor3d([[[0.5, 0.5], [0.2, 0.8]]]) });
      expect(Array.from(out.mask.dataSync())).toEqual([1, 1]);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient back to the probabilities', () => {
      const stage = stageWith({ threshold: 0.5 });
      const g = tf.grad((p: tf.Tensor) => tf.sum(stage.compute({ prob: p }).confidence))(tf.tensor3d([[[0.3, 0.7]]]));
      expect(Array.from(g.dataSync())).toEqual([0, 0]);
    });
  });
});
