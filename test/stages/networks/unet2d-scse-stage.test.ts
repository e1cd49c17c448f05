import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { UNet2DScSE } from '../../../src/networks/unet2d-scse.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { UNet2DScSEStage } from '../../../src/stages/networks/index.js';

describe('the UNet2DScSE stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a UNet2DScSE named after the node, and a like-built copy', () => {
    const stage = instantiateStage(UNet2DScSEStage, { nodeName: 'scse', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(UNet2DScSE);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('scse_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having a feature count below 2, should reject the params', () => {
    expect(() => UNet2DScSEStage.paramsSchema.parse({ classes: 2, features: [1, 2, 2, 2, 2] })).toThrow();
  });

  it('should be registered as a built-in stage named UNet2DScSE', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'UNet2DScSE')).toEqual([UNet2DScSEStage]);
  });
});
