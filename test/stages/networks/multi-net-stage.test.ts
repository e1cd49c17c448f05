import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { NetworkState } from '../../../src/graph/stage.js';
import { MultiNetwork } from '../../../src/networks/multi-network.js';
import { UNet2D, unet2dParams } from '../../../src/networks/unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { MultiNetStage } from '../../../src/stages/networks/index.js';

describe('the MultiNet stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having two wired networks, should build a MultiNetwork over them with the chosen inference', () => {
    const nets = ['s1', 's2'].map((name, i) => new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 2, features: [2, 2, 2, 2, 2] }), name, random: new SeededRandom(i) }));
    try {
      const stage = instantiateStage(MultiNetStage, { nodeName: 'both', params: { inference: 'average' } });
      const states: NetworkState[] = nets.map((network, i) => ({ node: `n${i}`, network }));
      const state = stage.build({ nets: states });
      expect(state.network).toBeInstanceOf(MultiNetwork);
      expect((state.network as MultiNetwork).inference).toBe('average');
      expect(state.network.parameterCount()).toBe(nets[0].parameterCount() * 2);
    } finally {
      nets.forEach((n) => n.dispose());
    }
  });

  it("should default to the first member at inference and reject another mode naming 'inference'", () => {
    expect(MultiNetStage.paramsSchema.parse({})).toEqual({ inference: 'first' });
    expect(() => instantiateStage(MultiNetStage, { nodeName: 'both', params: { inference: 'max' } })).toThrow(/- nodes\.both\.params\.inference: /);
  });

  it('should be registered as a built-in stage named MultiNet', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'MultiNet')).toEqual([MultiNetStage]);
  });
});
