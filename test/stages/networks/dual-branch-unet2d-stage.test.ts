import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { DualBranchUNet2D } from '../../../src/networks/dual-branch-unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { DualBranchUNet2DStage } from '../../../src/stages/networks/index.js';

describe('the DualBranchUNet2D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a DualBranchUNet2D named after the node, and a like-built copy', () => {
    const stage = instantiateStage(DualBranchUNet2DStage, { nodeName: 'dual', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(DualBranchUNet2D);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('dual_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it('having an unknown output mode, should reject the params', () => {
    expect(() => DualBranchUNet2DStage.paramsSchema.parse({ classes: 2, outputMode: 'max' })).toThrow();
  });

  it('should be registered as a built-in stage named DualBranchUNet2D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'DualBranchUNet2D')).toEqual([DualBranchUNet2DStage]);
  });
});
