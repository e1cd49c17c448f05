import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyDecoder, createDecoder } from '../../../src/networks/blocks/decoder.js';
import { applyEncoder, createEncoder } from '../../../src/networks/blocks/encoder.js';
import { applyUpSampling, createUpSampling } from '../../../src/networks/blocks/up-sampling.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

describe('the shared encoder, decoder and up-sampling', () => {
  let parameters: NetworkParameters[] = [];
  const make = (name: string) => {
    const p = new NetworkParameters(name, new SeededRandom(1));
    parameters.push(p);
    return p;
  };
  beforeAll(() => tf.setBackend('cpu'));
  afterEach(() => {
    for (const p of parameters) p.dispose();
    parameters = [];
  });

  it('having 2D and 3D transposed and interpolating modes, should shape the up-sampling kernels as PyTorch with its fan_in bounds', () => {
    const p = make('up');
    const cases = [
      [createUpSampling(p, 'a', 6, 4, 'transposed', 2), [2, 2, 4, 6], 4 * 4],
      [createUpSampling(p, 'b', 6, 4, 'transposed', 3), [2, 2, 2, 4, 6], 4 * 8],
      [createUpSampling(p, 'c', 6, 4, 'bilinear', 2), [1, 1, 6, 4], 6],
      [createUpSampling(p, 'd', 6, 4, 'trilinear', 3), [1, 1, 1, 6, 4], 6],
    ] as const;
    for (const [conv, shape, fanIn] of cases) {
      expect(conv.kernel.shape).toEqual(shape);
      expect(conv.bias.shape).toEqual([4]);
      const largest = Math.max(...conv.kernel.dataSync().map(Math.abs));
      expect(largest).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      expect(largest).toBeGreaterThan(0.5 / Math.sqrt(fanIn));
    }
  });

  it('having a 1x1 up conv with weight 1 and bias 0, should upsample nearest by repeating each pixel twice per axis', () => {
    const p = make('near');
    const up = createUpSampling(p, 'u', 1, 1, 'nearest', 2);
    up.kernel.assign(tf.ones([1, 1, 1, 1]));
    up.bias.assign(tf.zeros([1]));
    const y = tf.tidy(() => applyUpSampling(up, tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), 'nearest'));
    expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    y.dispose();
  });

  it('having three levels, should give skips at full, 1/2 and 1/4 size and decode back to full size without leaking', () => {
    const p = make('ed');
    const f = [2, 3, 4];
    const encoder = createEncoder(p, { inChannels: 1, featureChannels: f, dropout: [0, 0, 0], kernelSize: [3, 3] });
    const decoder = createDecoder(p, { prefix: 'dec', featureChannels: f, upMode: 'bilinear', spatialDims: 2 });
    expect(p.trainableVariables.filter((v) => v.name.endsWith('/up/kernel')).map((v) => `${v.name}:${v.shape}`)).toEqual([
      'ed/dec1/up/kernel:1,1,4,3',
      'ed/dec2/up/kernel:1,1,3,2',
    ]);
    const x = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const shapes = tf.tidy(() => {
      const skips = applyEncoder(encoder, x, { training: false, random: undefined });
      const decoded = applyDecoder(decoder, skips, 'bilinear', false, undefined);
      return [...skips, ...decoded].map((t) => t.shape);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(shapes).toEqual([[1, 8, 8, 2], [1, 4, 4, 3], [1, 2, 2, 4], [1, 4, 4, 3], [1, 8, 8, 2]]);
    x.dispose();
  });
});
