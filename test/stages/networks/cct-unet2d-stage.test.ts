import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { CctUNet2D } from '../../../src/networks/cct-unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { CctUNet2DStage } from '../../../src/stages/networks/index.js';

describe('the CctUNet2D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config, should build a CctUNet2D named after the node, and a like-built copy', () => {
    const stage = instantiateStage(CctUNet2DStage, { nodeName: 'cct', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(CctUNet2D);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('cct_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it("having a VAT auxiliary decoder, should default to PyMIC's VAT_xi 1e-6, VAT_eps 2.0, VAT_it 2 and pass them to the network", () => {
    const params = { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0], auxiliary: ['vat'] };
    const parsed = CctUNet2DStage.paramsSchema.parse(params);
    expect([parsed.vatXi, parsed.vatEps, parsed.vatIterations]).toEqual([1e-6, 2, 2]);
    const stage = instantiateStage(CctUNet2DStage, { nodeName: 'cct_vat', params: { ...params, vatXi: 0.01, vatIterations: 1 }, random: new SeededRandom(4) });
    try {
      const net = stage.build().network as CctUNet2D;
      expect(net.auxiliary).toEqual(['vat']);
      expect(net.vat).toEqual({ xi: 0.01, eps: 2, iterations: 1 });
    } finally {
      stage.dispose();
    }
    expect(() => CctUNet2DStage.paramsSchema.parse({ classes: 2, auxiliary: ['vat'], vatIterations: 0 })).toThrow();
    expect(() => CctUNet2DStage.paramsSchema.parse({ classes: 2, auxiliary: ['cutout'] })).toThrow();
  });

  it('should be registered as a built-in stage named CctUNet2D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'CctUNet2D')).toEqual([CctUNet2DStage]);
  });
});
