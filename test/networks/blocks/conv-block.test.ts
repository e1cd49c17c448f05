import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyConvBlock, createConvBlock } from '../../../src/networks/blocks/conv-block.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

/** A second implementation of conv -> BN (running statistics) -> activation with tfjs's own kernels, NHWC. */
function referenceLayer(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, activation: (t: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const y = tf.add(tf.conv2d(x, kernel, 1, 'same'), bias) as tf.Tensor4D;
  // gamma 1, beta 0, running mean 0, variance 1, epsilon 1e-5 (PyTorch's defaults).
  return activation(tf.div(y, Math.sqrt(1 + 1e-5)) as tf.Tensor4D);
}

describe('the shared conv block', () => {
  let parameters: NetworkParameters[] = [];
  const make = (name: string, seed = 3) => {
    const p = new NetworkParameters(name, new SeededRandom(seed));
    parameters.push(p);
    return p;
  };
  beforeAll(() => tf.setBackend('cpu'));
  afterEach(() => {
    for (const p of parameters) p.dispose();
    parameters = [];
  });

  it('having LeakyReLU, should create conv1, bn1, conv2, bn2 in that order with fan_in = taps x input channels', () => {
    const p = make('blk');
    createConvBlock(p, { path: 'enc0', inChannels: 2, outChannels: 3, kernelSize: [3, 3], dropout: 0 });
    expect(p.trainableVariables.map((v) => `${v.name}:${v.shape}`)).toEqual([
      'blk/enc0/conv1/kernel:3,3,2,3',
      'blk/enc0/conv1/bias:3',
      'blk/enc0/bn1/gamma:3',
      'blk/enc0/bn1/beta:3',
      'blk/enc0/conv2/kernel:3,3,3,3',
      'blk/enc0/conv2/bias:3',
      'blk/enc0/bn2/gamma:3',
      'blk/enc0/bn2/beta:3',
    ]);
    expect(p.stateVariables.map((v) => v.name)).toEqual(['blk/enc0/bn1/running_mean', 'blk/enc0/bn1/running_var', 'blk/enc0/bn2/running_mean', 'blk/enc0/bn2/running_var']);
    const kernel1 = p.trainableVariables[0].dataSync();
    const kernel2 = p.trainableVariables[4].dataSync();
    expect(Math.max(...kernel1.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(9 * 2));
    expect(Math.max(...kernel1.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(9 * 2));
    expect(Math.max(...kernel2.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(9 * 3));
  });

  it('having PReLU and in-plane 1x3x3 kernels, should put each slope (0.25) after its batch norm', () => {
    const p = make('vol');
    const block = createConvBlock(p, { path: 'dec1', inChannels: 4, outChannels: 2, kernelSize: [1, 3, 3], dropout: 0.3, activation: 'prelu' });
    expect(p.trainableVariables.map((v) => v.name.slice(4))).toEqual([
      'dec1/conv1/kernel', 'dec1/conv1/bias', 'dec1/bn1/gamma', 'dec1/bn1/beta', 'dec1/prelu1',
      'dec1/conv2/kernel', 'dec1/conv2/bias', 'dec1/bn2/gamma', 'dec1/bn2/beta', 'dec1/prelu2',
    ]);
    expect(block.conv1.kernel.shape).toEqual([1, 3, 3, 4, 2]);
    expect(Array.from(block.prelu1!.dataSync())).toEqual([0.25]);
  });

  it('when applied in inference, should equal conv -> BN -> LeakyReLU twice computed with tfjs kernels, without leaking', () => {
    const p = make('ref');
    const block = createConvBlock(p, { path: 'b', inChannels: 2, outChannels: 3, kernelSize: [3, 3], dropout: 0.5 });
    const x = tf.tensor4d(new SeededRandom(9).uniformArray(2 * 5 * 4 * 2, -2, 2), [2, 5, 4, 2]);
    const before = tf.memory().numTensors;
    const [got, want] = tf.tidy(() => {
      const leaky = (t: tf.Tensor4D) => tf.leakyRelu(t, 0.01);
      const k = (c: typeof block.conv1) => [c.kernel as tf.Tensor4D, c.bias as tf.Tensor1D] as const;
      const expected = referenceLayer(referenceLayer(x, ...k(block.conv1), leaky), ...k(block.conv2), leaky);
      return [applyConvBlock(block, x, false, undefined), expected];
    });
    expect(tf.memory().numTensors).toBe(before + 2);
    const g = got.dataSync();
    const w = want.dataSync();
    for (let i = 0; i < w.length; i++) expect(g[i]).toBeCloseTo(w[i], 5);
    tf.dispose([got, want, x]);
  });

  it('when applied with PReLU, should give max(x, 0) + 0.25 min(x, 0) after each batch norm', () => {
    const p = make('pr');
    const block = createConvBlock(p, { path: 'b', inChannels: 1, outChannels: 2, kernelSize: [3, 3], dropout: 0, activation: 'prelu' });
    const x = tf.tensor4d(new SeededRandom(2).uniformArray(1 * 4 * 4 * 1, -3, 3), [1, 4, 4, 1]);
    const [got, want] = tf.tidy(() => {
      const prelu = (t: tf.Tensor4D) => tf.where(tf.greater(t, 0), t, tf.mul(t, 0.25)) as tf.Tensor4D;
      const k = (c: typeof block.conv1) => [c.kernel as tf.Tensor4D, c.bias as tf.Tensor1D] as const;
      return [applyConvBlock(block, x, false, undefined), referenceLayer(referenceLayer(x, ...k(block.conv1), prelu), ...k(block.conv2), prelu)];
    });
    const g = got.dataSync();
    const w = want.dataSync();
    for (let i = 0; i < w.length; i++) expect(g[i]).toBeCloseTo(w[i], 5);
    tf.dispose([got, want, x]);
  });

  it("when applied with ReLU (CANet's conv block), should give max(x, 0) after each batch norm and add no variables", () => {
    const p = make('re');
    const block = createConvBlock(p, { path: 'b', inChannels: 1, outChannels: 2, kernelSize: [3, 3], dropout: 0, activation: 'relu' });
    expect(p.trainableVariables.map((v) => v.name.slice(3))).toEqual(['b/conv1/kernel', 'b/conv1/bias', 'b/bn1/gamma', 'b/bn1/beta', 'b/conv2/kernel', 'b/conv2/bias', 'b/bn2/gamma', 'b/bn2/beta']);
    const x = tf.tensor4d(new SeededRandom(2).uniformArray(1 * 4 * 4 * 1, -3, 3), [1, 4, 4, 1]);
    const [got, want] = tf.tidy(() => {
      const relu = (t: tf.Tensor4D) => tf.where(tf.greater(t, 0), t, tf.zerosLike(t)) as tf.Tensor4D;
      const k = (c: typeof block.conv1) => [c.kernel as tf.Tensor4D, c.bias as tf.Tensor1D] as const;
      return [applyConvBlock(block, x, false, undefined), referenceLayer(referenceLayer(x, ...k(block.conv1), relu), ...k(block.conv2), relu)];
    });
    const g = got.dataSync();
    const w = want.dataSync();
    expect(w.some((v) => v === 0) && w.some((v) => v > 0)).toBe(true);
    for (let i = 0; i < w.length; i++) expect(g[i]).toBeCloseTo(w[i], 5);
    tf.dispose([got, want, x]);
  });
});
