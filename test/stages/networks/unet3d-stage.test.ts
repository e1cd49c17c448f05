import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { UNet3D } from '../../../src/networks/unet3d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { UNet3DStage } from '../../../src/stages/networks/index.js';

function stage(params: unknown, nodeName = 'net3d') {
  return instantiateStage(UNet3DStage, { nodeName, params, random: new SeededRandom(4) });
}

describe('the UNet3D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a UNet3D named after the node that runs on NDHWC volumes, and a like-built copy', () => {
    const s = stage({ classes: 2, features: [2, 2, 4, 4], dropout: [0, 0, 0, 0], upMode: 'transposed' });
    const state = s.build();
    try {
      expect(state.network).toBeInstanceOf(UNet3D);
      expect(state.network.name).toBe('net3d');
      const y = tf.tidy(() => state.network.apply(tf.zeros([1, 8, 8, 8, 1]) as unknown as tf.Tensor4D, { training: false }).shape);
      expect(y).toEqual([1, 8, 8, 8, 2]);
      const copy = state.createLike!('net3d_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      s.dispose();
    }
  });

  it('having dropout rates that do not match the levels, should reject the params', () => {
    expect(() => UNet3DStage.paramsSchema.parse({ classes: 2, features: [2, 2, 4, 4], dropout: [0, 0, 0, 0, 0] })).toThrow(/one value per level/);
  });

  it('should be registered as a built-in stage named UNet3D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'UNet3D')).toEqual([UNet3DStage]);
  });
});
