import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { PredictiveEntropy } from '../../../src/stages/pseudo-labels/predictive-entropy.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stage = instantiateStage(PredictiveEntropy, { nodeName: 'uncertainty' });

describe('PredictiveEntropy', () => {
  describe('having pixels with probabilities (½, ½, 0), (⅓, ⅓, ⅓) and (1, 0, 0)', () => {
    it('should give ln 2, ln 3 and 0 nats (up to the 1e-6 inside the logarithm)', () => {
      const out = stage.compute({ prob: tf.tensor3d([[[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3], [1, 0, 0]]]) });
      expect(out.entropy.shape).toEqual([1, 3]);
      const e = out.entropy.dataSync();
      expect(e[0]).toBeCloseTo(Math.log(2), 5);
      expect(e[1]).toBeCloseTo(Math.log(3), 5);
      expect(e[2]).toBeCloseTo(0, 5);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient back to the probabilities', () => {
      const g = tf.grad((p: tf.Tensor) => tf.sum(stage.compute({ prob: p }).entropy))(tf.tensor3d([[[0.3, 0.7]]]));
      expect(Array.from(g.dataSync()).map(Math.abs)).toEqual([0, 0]);
    });
  });
});
