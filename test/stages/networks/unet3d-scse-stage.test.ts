import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { UNet3DScSE } from '../../../src/networks/unet3d-scse.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { UNet3DScSEStage } from '../../../src/stages/networks/index.js';

describe('the UNet3DScSE stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a UNet3DScSE named after the node that runs on NDHWC volumes, and a like-built copy', () => {
    const stage = instantiateStage(UNet3DScSEStage, { nodeName: 'scse3d', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0], upMode: 'transposed' }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(UNet3DScSE);
      expect(state.network.name).toBe('scse3d');
      expect((state.network as UNet3DScSE).upMode).toBe('transposed');
      const shape = tf.tidy(() => state.network.apply(tf.zeros([1, 16, 16, 32, 1]) as unknown as tf.Tensor4D, { training: false }).shape);
      expect(shape).toEqual([1, 16, 16, 32, 2]);
      const copy = state.createLike!('scse3d_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it("should default to PyMIC's 16-32-64-128-256 features, trilinear up-sampling and dropout [0, 0, 0.3, 0.4, 0.5]", () => {
    expect(UNet3DScSEStage.paramsSchema.parse({ classes: 2 })).toEqual({
      inChannels: 1,
      classes: 2,
      features: [16, 32, 64, 128, 256],
      dropout: [0, 0, 0.3, 0.4, 0.5],
      upMode: 'trilinear',
    });
  });

  it('having four levels or a feature count below 2, should reject the params', () => {
    expect(() => UNet3DScSEStage.paramsSchema.parse({ classes: 2, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0] })).toThrow();
    expect(() => UNet3DScSEStage.paramsSchema.parse({ classes: 2, features: [1, 2, 2, 2, 2] })).toThrow();
  });

  it('should be registered as a built-in stage named UNet3DScSE', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'UNet3DScSE')).toEqual([UNet3DScSEStage]);
  });
});
