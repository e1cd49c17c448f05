import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { applyConvBlock, createConvBlock, type ConvBlock, type ConvBlockActivation } from '../../../src/networks/blocks/conv-block.js';
import { backendFoldsBatchNorm, convBatchNormActivation, foldedConvBatchNorm, type LayerActivation as FoldedActivation } from '../../../src/runtime/ops/conv-batch-norm-activation.js';
import { NetworkParameters, type BatchNormParameters } from '../../../src/networks/network-parameters.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}

/** Batch-norm state far from PyTorch's defaults (γ 1, β 0, mean 0, variance 1), so a wrong fold shows. */
function perturbBatchNorm(bn: BatchNormParameters, random: SeededRandom): void {
  const channels = bn.gamma.shape[0];
  const uniform = (lo: number, hi: number) => tf.tensor1d(random.uniformArray(channels, lo, hi));
  for (const [variable, value] of [
    [bn.gamma, uniform(0.5, 2)],
    [bn.beta, uniform(-1, 1)],
    [bn.runningMean, uniform(-0.5, 0.5)],
    [bn.runningVariance, uniform(0.2, 3)],
  ] as const) {
    variable.assign(value);
    value.dispose();
  }
}

/** The unfolded layer, a second implementation: (conv + b − mean) / sqrt(var + 1e-5) · γ + β, then the activation. */
function referenceLayer(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, bn: BatchNormParameters, activation: FoldedActivation): tf.Tensor {
  return tf.tidy(() => {
    const conv = kernel.rank === 4 ? tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same') : tf.conv3d(x as tf.Tensor5D, kernel as tf.Tensor5D, 1, 'same');
    const normalised = tf.div(tf.sub(tf.add(conv, bias), bn.runningMean), tf.sqrt(tf.add(bn.runningVariance, 1e-5)));
    const y = tf.add(tf.mul(normalised, bn.gamma), bn.beta);
    return activation.kind === 'linear' ? y : activation.kind === 'relu' ? tf.relu(y) : tf.leakyRelu(y, activation.alpha);
  });
}

/** max |a − e| / max |e|. */
function relativeError(actual: Float32Array | Int32Array | Uint8Array, expected: Float32Array | Int32Array | Uint8Array): number {
  let worst = 0;
  let scale = 0;
  expected.forEach((e, i) => {
    worst = Math.max(worst, Math.abs(actual[i] - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return worst / scale;
}

const ACTIVATIONS: FoldedActivation[] = [{ kind: 'linear' }, { kind: 'relu' }, { kind: 'leakyRelu', alpha: 0.01 }];

describe('conv + batch norm folded for inference', () => {
  let parameters: NetworkParameters[] = [];
  const blockOf = (name: string, kernelSize: number[], activation: ConvBlockActivation, seed: number): ConvBlock => {
    const p = new NetworkParameters(name, new SeededRandom(seed));
    parameters.push(p);
    const block = createConvBlock(p, { path: 'b', inChannels: 3, outChannels: 4, kernelSize, dropout: 0.2, activation });
    perturbBatchNorm(block.bn1, new SeededRandom(seed + 1));
    perturbBatchNorm(block.bn2, new SeededRandom(seed + 2));
    return block;
  };
  afterEach(() => {
    for (const p of parameters) p.dispose();
    parameters = [];
  });

  for (const backend of ['cpu', 'wasm', ...(native.available ? ['native'] : [])]) {
    for (const [dims, kernelSize, xShape] of [
      ['2D', [3, 3], [2, 5, 6, 3]],
      ['3D', [3, 3, 3], [2, 3, 4, 5, 3]],
      ['3D in-plane', [1, 3, 3], [1, 3, 4, 5, 3]],
    ] as const) {
      for (const activation of ACTIVATIONS) {
        it(`when ${backend} folds a ${dims} conv and batch norm with ${activation.kind} should equal the unfolded layer, without leaking`, async () => {
          await tf.setBackend(backend);
          const block = blockOf(`fold_${backend}_${dims.replace(' ', '_')}_${activation.kind}`, [...kernelSize], 'leakyRelu', 11);
          const x = tf.tensor<tf.Rank>(new SeededRandom(4).normalArray(xShape.reduce((a: number, b: number) => a * b, 1)), [...xShape]) as tf.Tensor4D;
          const before = tf.memory().numTensors;
          const folded = foldedConvBatchNorm(x, block.conv1, block.bn1, activation);
          expect(tf.memory().numTensors).toBe(before + 1);
          const reference = referenceLayer(x, block.conv1.kernel, block.conv1.bias, block.bn1, activation);
          expect(folded.shape).toEqual([...xShape.slice(0, -1), 4]);
          expect(relativeError(folded.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
          tf.dispose([x, folded, reference]);
        });
      }
    }
  }

  describe.skipIf(!native.available)('having the native backend', () => {
    it('when the addon folds a kernel and batch norm (MicflowFoldConvBatchNorm) should give the six-op composite computed on cpu', async () => {
      const random = new SeededRandom(31);
      const shape = [3, 3, 5, 7];
      const data = {
        kernel: random.normalArray(315), bias: random.normalArray(7), gamma: random.uniformArray(7, -2, 2), beta: random.normalArray(7),
        mean: random.normalArray(7), variance: random.uniformArray(7, 1e-4, 50),
      };
      const fold = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const t = (v: number[] | Float32Array, s: number[]) => tf.tensor(v, s);
          const kernel = t(data.kernel, shape);
          const scale = tf.mul(t(data.gamma, [7]), tf.rsqrt(tf.add(t(data.variance, [7]), 1e-5)));
          const composite = [tf.mul(kernel, scale), tf.add(tf.mul(tf.sub(t(data.bias, [7]), t(data.mean, [7])), scale), t(data.beta, [7]))];
          const block = { conv: { kernel, bias: t(data.bias, [7]) }, bn: { gamma: t(data.gamma, [7]), beta: t(data.beta, [7]), runningMean: t(data.mean, [7]), runningVariance: t(data.variance, [7]) } };
          const folded = backend === 'native'
            ? (tf.engine().runKernel('MicflowFoldConvBatchNorm', { kernel: block.conv.kernel, bias: block.conv.bias, gamma: block.bn.gamma, beta: block.bn.beta, mean: block.bn.runningMean, variance: block.bn.runningVariance }, { epsilon: 1e-5 }) as tf.Tensor[])
            : composite;
          return folded.map((f) => f.dataSync() as Float32Array);
        });
      };
      const [kernel, bias] = await fold('native');
      const [expectedKernel, expectedBias] = await fold('cpu');
      expect(relativeError(kernel, expectedKernel)).toBeLessThan(1e-6);
      expect(relativeError(bias, expectedBias)).toBeLessThan(1e-6);
    });

    it('when inferring should fold, and when on cpu should not', async () => {
      await tf.setBackend('native');
      expect(backendFoldsBatchNorm()).toBe(true);
      await tf.setBackend('cpu');
      expect(backendFoldsBatchNorm()).toBe(false);
    });

    for (const [dims, kernelSize, xShape] of [
      ['2D', [3, 3], [2, 7, 5, 3]],
      ['3D', [3, 3, 3], [1, 4, 3, 5, 3]],
    ] as const) {
      for (const activation of ['leakyRelu', 'relu', 'prelu'] as const) {
        it(`when a ${dims} ${activation} conv block infers on native (folded) should give cpu's unfolded output, without leaking`, async () => {
          const block = blockOf(`blk_${dims}_${activation}`, [...kernelSize], activation, 21);
          if (block.prelu1) tf.tidy(() => block.prelu1!.assign(tf.tensor1d([0.1])));
          const values = new SeededRandom(6).normalArray(xShape.reduce((a: number, b: number) => a * b, 1));
          const run = async (backend: string) => {
            await tf.setBackend(backend);
            const x = tf.tensor<tf.Rank>(values, [...xShape]) as tf.Tensor4D;
            const before = tf.memory().numTensors;
            const y = tf.tidy(() => applyConvBlock(block, x, false, undefined));
            expect(tf.memory().numTensors).toBe(before + 1);
            const out = y.dataSync().slice();
            tf.dispose([x, y]);
            return out;
          };
          const expected = await run('cpu');
          const actual = await run('native');
          expect(relativeError(actual, expected)).toBeLessThan(1e-5);
        });
      }
    }
  });
});

describe('convBatchNormActivation in training', () => {
  for (const backend of ['cpu', 'wasm', ...(native.available ? ['native'] : [])]) {
    for (const activation of ACTIVATIONS) {
      it(`when ${backend} trains a 2D layer with ${activation.kind} should normalise by the batch's statistics, move the running ones by 0.1 and leave only its output`, async () => {
        await tf.setBackend(backend);
        const p = new NetworkParameters(`train_${backend}_${activation.kind}`, new SeededRandom(31));
        const conv = p.conv('c', [3, 3, 2, 3], 18);
        const bn = p.batchNorm('bn', 3);
        perturbBatchNorm(bn, new SeededRandom(32));
        const meanBefore = Array.from(bn.runningMean.dataSync());
        const varianceBefore = Array.from(bn.runningVariance.dataSync());
        const x = tf.tensor4d(new SeededRandom(33).normalArray(2 * 4 * 5 * 2), [2, 4, 5, 2]);
        const before = tf.memory().numTensors;
        const y = tf.tidy(() => convBatchNormActivation(x, conv, bn, true, activation));
        expect(tf.memory().numTensors).toBe(before + 1);
        // Reference by hand: the convolution on cpu's own kernel, then per-channel batch mean and biased variance.
        const convolved = tf.tidy(() => tf.add(tf.conv2d(x, conv.kernel as tf.Tensor4D, 1, 'same'), conv.bias));
        const c = convolved.dataSync();
        const gamma = bn.gamma.dataSync();
        const beta = bn.beta.dataSync();
        const n = c.length / 3;
        const expected = new Float64Array(c.length);
        for (let ch = 0; ch < 3; ch++) {
          let sum = 0;
          for (let i = ch; i < c.length; i += 3) sum += c[i];
          const mean = sum / n;
          let squares = 0;
          for (let i = ch; i < c.length; i += 3) squares += (c[i] - mean) ** 2;
          for (let i = ch; i < c.length; i += 3) {
            const z = ((c[i] - mean) / Math.sqrt(squares / n + 1e-5)) * gamma[ch] + beta[ch];
            expected[i] = activation.kind === 'linear' ? z : activation.kind === 'relu' ? Math.max(z, 0) : z >= 0 ? z : activation.alpha * z;
          }
          // PyTorch's running update: 0.9 · old + 0.1 · batch (unbiased variance).
          expect(bn.runningMean.dataSync()[ch]).toBeCloseTo(0.9 * meanBefore[ch] + 0.1 * mean, 5);
          expect(bn.runningVariance.dataSync()[ch]).toBeCloseTo(0.9 * varianceBefore[ch] + 0.1 * (squares / (n - 1)), 4);
        }
        const got = y.dataSync();
        expected.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThan(1e-4));
        tf.dispose([x, y, convolved]);
        p.dispose();
      });
    }
  }
});
