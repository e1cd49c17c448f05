import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyAspp, createAspp } from '../../../src/networks/blocks/aspp.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { expectClose, pseudoRandom } from '../../runtime/ops/op-test-helpers.js';

const BRANCHES = [
  { outChannels: 2, kernelSize: 1, dilation: 1 },
  { outChannels: 2, kernelSize: 3, dilation: 2 },
  { outChannels: 2, kernelSize: 3, dilation: 4 },
  { outChannels: 2, kernelSize: 3, dilation: 6 },
];

describe('the ASPP block', () => {
  let parameters: NetworkParameters[] = [];
  const make = (name: string) => {
    const p = new NetworkParameters(name, new SeededRandom(4));
    parameters.push(p);
    return p;
  };
  beforeAll(() => tf.setBackend('cpu'));
  afterEach(() => {
    for (const p of parameters) p.dispose();
    parameters = [];
  });

  it("having COPLENet's four branches, should create branch1-4, fuse and bn with PyTorch's fan_in bounds", () => {
    const p = make('a');
    createAspp(p, { path: 'aspp', inChannels: 8, branches: BRANCHES });
    expect(p.trainableVariables.map((v) => `${v.name}:${v.shape}`)).toEqual([
      'a/aspp/branch1/kernel:1,1,8,2',
      'a/aspp/branch1/bias:2',
      'a/aspp/branch2/kernel:3,3,8,2',
      'a/aspp/branch2/bias:2',
      'a/aspp/branch3/kernel:3,3,8,2',
      'a/aspp/branch3/bias:2',
      'a/aspp/branch4/kernel:3,3,8,2',
      'a/aspp/branch4/bias:2',
      'a/aspp/fuse/kernel:1,1,8,8',
      'a/aspp/fuse/bias:8',
      'a/aspp/bn/gamma:8',
      'a/aspp/bn/beta:8',
    ]);
    expect(Math.max(...p.trainableVariables[2].dataSync().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(9 * 8));
    expect(Math.max(...p.trainableVariables[0].dataSync().map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(8));
  });

  it("when applied in inference mode, should equal tfjs's dilated conv2d per branch, concat, 1x1 conv, BN (running statistics) and LeakyReLU", () => {
    const p = make('b');
    const aspp = createAspp(p, { path: 'aspp', inChannels: 8, branches: BRANCHES });
    tf.tidy(() => {
      const x = tf.tensor4d(pseudoRandom(2 * 7 * 9 * 8, 3), [2, 7, 9, 8]);
      const branches = aspp.branches.map(({ conv, dilation }) =>
        tf.add(tf.conv2d(x, conv.kernel as tf.Tensor4D, 1, 'same', 'NHWC', dilation), conv.bias),
      );
      const fused = tf.add(tf.conv2d(tf.concat(branches, 3) as tf.Tensor4D, aspp.fuse.kernel as tf.Tensor4D, 1, 'same'), aspp.fuse.bias);
      // gamma 1, beta 0, running mean 0, variance 1, epsilon 1e-5 (PyTorch's defaults).
      const expected = tf.leakyRelu(tf.div(fused, Math.sqrt(1 + 1e-5)), 0.01);
      const actual = applyAspp(aspp, x, false);
      expect(actual.shape).toEqual([2, 7, 9, 8]);
      expectClose(actual.dataSync(), expected.dataSync(), 1e-5);
    });
  });
});
