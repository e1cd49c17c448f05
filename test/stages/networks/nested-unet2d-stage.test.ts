import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { NestedUNet2D } from '../../../src/networks/nested-unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { NestedUNet2DStage } from '../../../src/stages/networks/index.js';

describe('the NestedUNet2D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a NestedUNet2D named after the node, and a like-built copy', () => {
    const stage = instantiateStage(NestedUNet2DStage, { nodeName: 'nest', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(NestedUNet2D);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('nest_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having four feature counts, should reject the params (UNet++ has five levels)', () => {
    expect(() => NestedUNet2DStage.paramsSchema.parse({ classes: 2, features: [2, 2, 2, 2] })).toThrow();
  });

  it('should be registered as a built-in stage named NestedUNet2D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'NestedUNet2D')).toEqual([NestedUNet2DStage]);
  });
});
