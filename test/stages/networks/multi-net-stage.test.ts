import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageContext } from '../../../src/graph/stage-context.js';
import type { NetworkState } from '../../../src/graph/stage.js';
import { MultiNetwork } from '../../../src/networks/multi-network.js';
import { UNet2D, unet2dParams } from '../../../src/networks/unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { MultiNetStage } from '../../../src/stages/networks/multi-net-stage.js';

describe('the MultiNet stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having two wired networks, should build a MultiNetwork over them with the chosen inference', () => {
    const nets = ['s1', 's2'].map((name, i) => new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 2, features: [2, 2, 2, 2, 2] }), name, random: new SeededRandom(i) }));
    try {
      const params = MultiNetStage.paramsSchema.parse({ inference: 'average' });
      const stage = new MultiNetStage({ nodeName: 'both', params, random: new SeededRandom(0) } as StageContext<never>);
      const states: NetworkState[] = nets.map((network, i) => ({ node: `n${i}`, network }));
      const state = stage.build({ nets: states as unknown as NetworkState });
      expect(state.network).toBeInstanceOf(MultiNetwork);
      expect((state.network as MultiNetwork).inference).toBe('average');
      expect(state.network.parameterCount()).toBe(nets[0].parameterCount() * 2);
    } finally {
      nets.forEach((n) => n.dispose());
    }
  });

  it('should be registered as a built-in stage named MultiNet', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'MultiNet')).toEqual([MultiNetStage]);
  });
});
