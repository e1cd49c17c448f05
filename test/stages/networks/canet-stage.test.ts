import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { CANet } from '../../../src/networks/canet.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { CANetStage } from '../../../src/stages/networks/index.js';

describe('the CANet stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a CANet named after the node, and a like-built copy', () => {
    const stage = instantiateStage(CANetStage, { nodeName: 'ca', params: { classes: 2, features: [2, 4, 8, 16, 32], channelDropout: 0.2 }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(CANet);
      expect(state.network.name).toBe('ca');
      expect((state.network as CANet).dropoutRates).toEqual([0, 0, 0, 0.2, 0.2]);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('ca_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it("having only classes, should default to PyMIC's 8-16-32-64-128 features and channel dropout 0.5", () => {
    expect(CANetStage.paramsSchema.parse({ classes: 2 })).toEqual({ inChannels: 1, classes: 2, features: [8, 16, 32, 64, 128], channelDropout: 0.5 });
    expect(() => CANetStage.paramsSchema.parse({ classes: 2, is_deconv: false })).toThrow();
  });

  it('should be registered as a built-in stage named CANet', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'CANet')).toEqual([CANetStage]);
  });
});
