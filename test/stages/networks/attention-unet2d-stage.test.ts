import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { AttentionUNet2D } from '../../../src/networks/attention-unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { AttentionUNet2DStage } from '../../../src/stages/networks/index.js';

describe('the AttentionUNet2D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a AttentionUNet2D named after the node, and a like-built copy', () => {
    const stage = instantiateStage(AttentionUNet2DStage, { nodeName: 'attention', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(AttentionUNet2D);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('attention_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having a feature count below 2, should reject the params', () => {
    expect(() => AttentionUNet2DStage.paramsSchema.parse({ classes: 2, features: [1, 2, 2, 2, 2] })).toThrow();
  });

  it('should be registered as a built-in stage named AttentionUNet2D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'AttentionUNet2D')).toEqual([AttentionUNet2DStage]);
  });
});
