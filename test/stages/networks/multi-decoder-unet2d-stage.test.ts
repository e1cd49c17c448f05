import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { MultiDecoderUNet2D } from '../../../src/networks/multi-decoder-unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { MultiDecoderUNet2DStage } from '../../../src/stages/networks/index.js';

describe('the MultiDecoderUNet2D stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('having a tiny config with two decoders, should build a MultiDecoderUNet2D named after the node, and a like-built copy', () => {
    const stage = instantiateStage(MultiDecoderUNet2DStage, { nodeName: 'mc', params: { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0], upModes: ['transposed', 'bilinear'] }, random: new SeededRandom(4) });
    const state = stage.build();
    try {
      expect(state.network).toBeInstanceOf(MultiDecoderUNet2D);
      expect((state.network as MultiDecoderUNet2D).headNames).toEqual(['dec_a_transposed', 'dec_b_bilinear']);
      expect(state.network.trainableVariables.every((v) => v.name.startsWith('mc/'))).toBe(true);
      expect(tf.tidy(() => state.network.apply(tf.zeros([1, 16, 32, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 32, 2]);
      const copy = state.createLike!('mc_copy', new SeededRandom(4));
      expect(copy.parameterCount()).toBe(state.network.parameterCount());
      copy.dispose();
    } finally {
      stage.dispose();
    }
  });

  it("should default to PyMIC's MCNet2D decoders and the first decoder at inference", () => {
    const params = MultiDecoderUNet2DStage.paramsSchema.parse({ classes: 2 });
    expect(params.upModes).toEqual(['transposed', 'nearest', 'bilinear']);
    expect(params.outputMode).toBe('first');
  });

  it('having one decoder or an unknown up mode, should reject the params', () => {
    expect(() => MultiDecoderUNet2DStage.paramsSchema.parse({ classes: 2, upModes: ['bilinear'] })).toThrow();
    expect(() => MultiDecoderUNet2DStage.paramsSchema.parse({ classes: 2, upModes: ['bilinear', 'bicubic'] })).toThrow();
  });

  it('should be registered as a built-in stage named MultiDecoderUNet2D', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'MultiDecoderUNet2D')).toEqual([MultiDecoderUNet2DStage]);
  });
});
