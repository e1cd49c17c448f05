import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { UNet2D5 } from '../../../src/networks/unet2d5.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { UNet2D5Stage } from '../../../src/stages/networks/index.js';

describe('the UNet2D5 stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a UNet2D5 named after the node that runs on NDHWC volumes, and a like-built copy', () => {
    const stage = instantiateStage(UNet2D5Stage, { nodeName: 'net25', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0], convDims: [2, 2, 2, 3, 3] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(UNet2D5);
      expect(state.network.name).toBe('net25');
      const shape = tf.tidy(() => state.network.apply(tf.zeros([1, 2, 16, 16, 1]) as unknown as tf.Tensor4D, { training: false }).shape);
      expect(shape).toEqual([1, 2, 16, 16, 2]);
      const copy = state.createLike!('net25_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having a conv dimension other than 2 or 3, should reject the params', () => {
    expect(() => UNet2D5Stage.paramsSchema.parse({ classes: 2, convDims: [2, 2, 4, 3, 3] })).toThrow();
  });

  it('should be registered as a built-in stage named UNet2D5', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'UNet2D5')).toEqual([UNet2D5Stage]);
  });
});
