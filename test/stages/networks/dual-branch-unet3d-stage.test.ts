import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { DualBranchUNet3D } from '../../../src/networks/dual-branch-unet3d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { DualBranchUNet3DStage } from '../../../src/stages/networks/index.js';

describe('the DualBranchUNet3D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny 4-level config, should build a DualBranchUNet3D named after the node that runs on NDHWC volumes, and a like-built copy', () => {
    const stage = instantiateStage(DualBranchUNet3DStage, { nodeName: 'dual3d', params: { classes: 2, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0], outputMode: 'second' }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(DualBranchUNet3D);
      expect(state.network.name).toBe('dual3d');
      expect((state.network as DualBranchUNet3D).outputMode).toBe('second');
      const shape = tf.tidy(() => state.network.apply(tf.zeros([1, 8, 16, 8, 1]) as unknown as tf.Tensor4D, { training: false }).shape);
      expect(shape).toEqual([1, 8, 16, 8, 2]);
      const copy = state.createLike!('dual3d_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having an unknown output mode or dropout rates that do not match the levels, should reject the params', () => {
    expect(() => DualBranchUNet3DStage.paramsSchema.parse({ classes: 2, outputMode: 'max' })).toThrow();
    expect(() => DualBranchUNet3DStage.paramsSchema.parse({ classes: 2, features: [2, 2, 4, 4], dropout: [0, 0, 0, 0, 0] })).toThrow(/one value per level/);
  });

  it('should be registered as a built-in stage named DualBranchUNet3D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'DualBranchUNet3D')).toEqual([DualBranchUNet3DStage]);
  });
});
