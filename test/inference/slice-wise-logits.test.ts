import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sliceWiseLogits } from '../../src/inference/slice-wise-logits.js';
import { predictWholeImageProbabilities } from '../../src/inference/whole-image-inference.js';
import { EvaluateSegmentation } from '../../src/stages/hooks/evaluate-segmentation.js';
import { boxFilterLogits, pseudoRandomValues } from './inference-test-networks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sliceWiseLogits', () => {
  describe('having a 2D-only network (a 3×3 conv2d) and a 3×5×7 volume', () => {
    const [d, h, w] = [3, 5, 7];
    const volume = { data: pseudoRandomValues(d * h * w, 5), shape: [d, h, w, 1] };

    it('should give, slice by slice, the probabilities of each slice predicted on its own, and leave no tensors behind', () => {
      const before = tf.memory().numTensors;
      const whole = predictWholeImageProbabilities(sliceWiseLogits(boxFilterLogits), volume, [1, 16, 16]);
      expect(tf.memory().numTensors).toBe(before);
      expect(whole.shape).toEqual([d, h, w, 2]);
      for (let z = 0; z < d; z++) {
        const slice = { data: volume.data.slice(z * h * w, (z + 1) * h * w), shape: [h, w, 1] };
        const alone = predictWholeImageProbabilities(boxFilterLogits, slice, 16);
        const part = whole.data.slice(z * h * w * 2, (z + 1) * h * w * 2);
        for (let i = 0; i < part.length; i++) expect(part[i]).toBeCloseTo(alone.data[i], 6);
      }
    });

    it('when the volume is not padded along the slices, should not add slices (divisor 1 on the first axis)', () => {
      const calls: number[][] = [];
      const recording = sliceWiseLogits((batch) => {
        calls.push([...batch.shape]);
        return boxFilterLogits(batch);
      });
      predictWholeImageProbabilities(recording, volume, [1, 16, 16]);
      expect(calls).toEqual([[3, 16, 16, 1]]);
    });

    it('when handed 2D batches, should pass them through unchanged', () => {
      const slice = { data: volume.data.slice(0, h * w), shape: [h, w, 1] };
      expect(predictWholeImageProbabilities(sliceWiseLogits(boxFilterLogits), slice, 16).data).toEqual(predictWholeImageProbabilities(boxFilterLogits, slice, 16).data);
    });
  });
});

describe('EvaluateSegmentation params', () => {
  describe('when sliceWise and a sliding window are both given', () => {
    it('should refuse the pair with a message naming sliceWise', () => {
      const parsed = EvaluateSegmentation.paramsSchema.safeParse({ sliceWise: true, window: [64, 64] });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0].path).toEqual(['sliceWise']);
    });
  });
});
