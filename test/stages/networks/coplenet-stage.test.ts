import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { COPLENet } from '../../../src/networks/coplenet.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { COPLENetStage } from '../../../src/stages/networks/index.js';

describe('the COPLENet stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a COPLENet named after the node, and a like-built copy', () => {
    const stage = instantiateStage(COPLENetStage, { nodeName: 'cople', params: { classes: 2, features: [2, 4, 8, 16, 32], dropout: [0, 0, 0, 0, 0], upMode: 'transposed' }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(COPLENet);
      expect(state.network.name).toBe('cople');
      expect((state.network as COPLENet).upMode).toBe('transposed');
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('cople_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it("having only classes, should default to PyMIC's documented 16-32-64-128-256 features and bilinear up-sampling", () => {
    const params = COPLENetStage.paramsSchema.parse({ classes: 2 });
    expect(params).toEqual({ inChannels: 1, classes: 2, features: [16, 32, 64, 128, 256], dropout: [0.05, 0.1, 0.2, 0.3, 0.5], upMode: 'bilinear' });
    expect(() => COPLENetStage.paramsSchema.parse({ classes: 2, bilinear: true })).toThrow();
  });

  it('should be registered as a built-in stage named COPLENet', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'COPLENet')).toEqual([COPLENetStage]);
  });
});
