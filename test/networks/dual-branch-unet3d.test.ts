import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMicflowError } from '../../src/errors/micflow-error.js';
import { DualBranchUNet3D, dualBranchUNet3DParams } from '../../src/networks/dual-branch-unet3d.js';
import { UNet3D, unet3dParams } from '../../src/networks/unet3d.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { BACKENDS, expectClose, pseudoRandom, relativeError, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

/**
 * Trainable parameters derived from the architecture: UNet3D's encoder (a ConvBlock per level: two 3x3x3 convs with
 * biases and two BatchNorm3d) and two of UNet3D's decoders (per level a 1x1x1 conv in1 in2 + in2, or a 2x2x2 transposed
 * conv 8 in1 in2 + in2, and a ConvBlock(2 in2, in2)), each with a 1x1x1 output conv (f0 K + K).
 */
const convBlockCount = (cin: number, cout: number) => 27 * cin * cout + cout + 27 * cout * cout + cout + 4 * cout;

function decoderParameterCount(f: number[], classes: number, transposed = false): number {
  let decoder = f[0] * classes + classes;
  for (let l = 0; l < f.length - 1; l++) decoder += (transposed ? 8 : 1) * f[l + 1] * f[l] + f[l] + convBlockCount(2 * f[l], f[l]);
  return decoder;
}

function expectedParameterCount(f: number[], inChannels: number, classes: number, transposed = false): number {
  let encoder = convBlockCount(inChannels, f[0]);
  for (let l = 1; l < f.length; l++) encoder += convBlockCount(f[l - 1], f[l]);
  return encoder + 2 * decoderParameterCount(f, classes, transposed);
}

const TINY: ParsedArgs<typeof dualBranchUNet3DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(dualBranchUNet3DParams, (args) => new DualBranchUNet3D(args)));
const makeUNet3D = disposedAfterEach(parsingParams(unet3dParams, (args) => new UNet3D(args)));

describe('DualBranchUNet3D', () => {
  describe('having PyMIC-like configurations', () => {
    beforeAll(() => useBackend('cpu'));

    // PyTorch 1.13 counts the same for a throwaway re-creation of PyMIC's UNet3D_DualBranch (UNet3D's encoder and two
    // UNet3D decoders with 1x1x1 out_conv): 7,151,028, 7,760,308 (transposed) and 385,712.
    it("with features 16-32-64-128-256, 1 -> 2 classes, should have UNet3D's 5,343,234 parameters plus a second decoder: 7,151,028", () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(7_151_028);
      const net = make({ inChannels: 1, classes: 2 });
      expect(net.parameterCount()).toBe(7_151_028);
      expect(net.parameterCount() - makeUNet3D({ inChannels: 1, classes: 2 }).parameterCount()).toBe(decoderParameterCount([16, 32, 64, 128, 256], 2));
      expect(net.stateVariables).toHaveLength(52); // 26 BatchNorm3d (5 encoder + 2 x 4 decoder blocks, 2 each), mean and variance each
    });
    it('with transposed convs, should have 7,760,308 parameters', () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, true)).toBe(7_760_308);
      expect(make({ inChannels: 1, classes: 2, upMode: 'transposed' }).parameterCount()).toBe(7_760_308);
    });
    it("with UNet3D's 4-level example configuration (4 channels, features 2-8-32-64, 2 classes), should have 385,712 parameters", () => {
      expect(expectedParameterCount([2, 8, 32, 64], 4, 2)).toBe(385_712);
      expect(make({ inChannels: 4, classes: 2, features: [2, 8, 32, 64], dropout: [0, 0, 0, 0.5] }).parameterCount()).toBe(385_712);
    });
    it('having 3 levels or mismatched dropout rates, should be rejected by the schema naming features or dropout', () => {
      expect(schemaIssues(dualBranchUNet3DParams, { inChannels: 1, classes: 2, features: [2, 4, 8], dropout: [0, 0, 0] })).toEqual([
        expect.stringMatching(/^features: .*>=4 items/),
        expect.stringMatching(/^dropout: .*>=4 items/),
      ]);
      expect(schemaIssues(dualBranchUNet3DParams, { inChannels: 1, classes: 2, features: [2, 4, 8, 8], dropout: [0, 0, 0, 0, 0] })).toEqual([
        'dropout: dropout needs one value per level of features',
      ]);
      expect(schemaIssues(dualBranchUNet3DParams, { inChannels: 1, classes: 2, features: [2, 4, 8, 8] })).toEqual(['dropout: dropout needs one value per level of features']);
    });
  });

  describe.each(BACKENDS_HERE)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['trilinear', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 2x8x24x16x1 input (24 = 3 x 8), should return two different 2x8x24x16x3 branches and apply() their average', () => {
        const net = make({ ...TINY, upMode });
        tf.tidy(() => {
          const x = tf.tensor5d(pseudoRandom(2 * 8 * 24 * 16, 1), [2, 8, 24, 16, 1]);
          const [a, b] = net.applyBranches(x, { training: false });
          expect(a.shape).toEqual([2, 8, 24, 16, 3]);
          expect(b.shape).toEqual([2, 8, 24, 16, 3]);
          expect(Math.max(...Array.from(tf.abs(tf.sub(a, b)).dataSync()))).toBeGreaterThan(1e-3);
          expectClose(net.apply(x as tf.Tensor5D, { training: false }).dataSync(), tf.div(tf.add(a, b), 2).dataSync(), 1e-6);
        });
      });
    });

    it('with five levels, should take a 1x16x16x32x1 volume', () => {
      const net = make({ ...TINY, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0.1, 0.2, 0.3] });
      tf.tidy(() => {
        const [a, b] = net.applyBranches(tf.zeros([1, 16, 16, 32, 1]) as tf.Tensor5D, { training: true, random: new SeededRandom(1) });
        expect([a.shape, b.shape]).toEqual([
          [1, 16, 16, 32, 3],
          [1, 16, 16, 32, 3],
        ]);
      });
    });

    it("when the output mode is 'first' or 'second', should return that branch; applyHeads should give both, first first", () => {
      const first = make({ ...TINY, name: `first_${backend}`, outputMode: 'first' });
      const second = make({ ...TINY, name: `second_${backend}`, outputMode: 'second' });
      expect(first.headNames).toEqual(['first', 'second']);
      tf.tidy(() => {
        const x = tf.tensor5d(pseudoRandom(8 * 8 * 16, 2), [1, 8, 8, 16, 1]);
        const [a, b] = first.applyBranches(x, { training: false });
        expect(Array.from(first.applyVolume(x, { training: false }).dataSync())).toEqual(Array.from(a.dataSync()));
        expect(Array.from(second.apply(x as tf.Tensor5D, { training: false }).dataSync())).toEqual(Array.from(b.dataSync()));
        const heads = first.applyHeads(x as tf.Tensor5D, { training: false });
        expect(heads).toHaveLength(2);
        expect(Array.from(heads[0].dataSync())).toEqual(Array.from(a.dataSync()));
        expect(Array.from(heads[1].dataSync())).toEqual(Array.from(b.dataSync()));
      });
    });

    it('when the size is not divisible by 8 (4 levels), or the input is an NHWC image, should throw invalid-shape', () => {
      const net = make({ ...TINY });
      const odd = tf.zeros([1, 8, 12, 8, 1]) as tf.Tensor5D;
      const image = tf.zeros([1, 8, 8, 1]) as unknown as tf.Tensor5D; // a 2D batch where a volume belongs
      try {
        net.applyBranches(odd, { training: false });
        expect.unreachable();
      } catch (error) {
        expect(isMicflowError(error) && error.kind).toBe('invalid-shape');
        expect(String(error)).toMatch(/DualBranchUNet3D .* input is 8x12x8; depth, height and width must be divisible by 8/);
      }
      expect(() => net.apply(image, { training: false })).toThrow(/needs NDHWC input with 1 channel\(s\), got shape \[1,8,8,1\]/);
      tf.dispose([odd, image]);
    });

    it('when trained for 2 Adam steps on both branches with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.3] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const x = tf.tensor5d(pseudoRandom(8 * 8 * 8, iteration), [1, 8, 8, 8, 1]);
              const [a, b] = net.applyBranches(x, { training: true, random: new SeededRandom(iteration) });
              return tf.add(tf.mean(tf.square(a)), tf.mean(tf.square(tf.sub(b, 1)))) as tf.Scalar;
            }),
          net.trainableVariables as tf.Variable[],
        );
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('having a tiny net and a 2x8x8x8x1 input', () => {
    const xShape: [number, number, number, number, number] = [2, 8, 8, 8, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(size(xShape) * 3, 22);
    /** Gradients of Σ r ⊙ first - Σ r ⊙ second: both decoders and the shared encoder get one. */
    const branchGradients = async (backend: string) => {
      await useBackend(backend);
      const net = make({ ...TINY, name: `db3_${backend}`, random: new SeededRandom(5) });
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const [a, b] = net.applyBranches(tf.tensor5d(x, xShape), { training: true });
            const r = tf.tensor(projection, a.shape);
            return tf.add(tf.sum(tf.mul(a, r)), tf.sum(tf.mul(b, tf.neg(r)))) as tf.Scalar;
          }),
        net.trainableVariables as tf.Variable[],
      );
      value.dispose();
      const out = new Map(Object.entries(grads).map(([name, g]) => [name.slice(net.name.length + 1), g.dataSync() as Float32Array]));
      Object.values(grads).forEach((g) => g.dispose());
      expect(tf.memory().numTensors).toBe(before);
      expect(out.size).toBe(net.trainableVariables.length);
      for (const [name, g] of out) expect(g.every(Number.isFinite), name).toBe(true);
      return out;
    };
    let onCpu: Map<string, Float32Array> | undefined;

    it('when both branches are differentiated in training mode on cpu, should give every variable a finite gradient and leave no tensor', async () => {
      onCpu = await branchGradients('cpu');
      expect([...onCpu.keys()]).toContain('dec_b3/conv1/kernel');
      expect(Math.max(...Array.from(onCpu.get('dec_b/out/kernel')!, Math.abs))).toBeGreaterThan(0);
    });

    it.each(BACKENDS_HERE.filter((b) => b !== 'cpu'))('when both branches are differentiated in training mode on %s, should give the cpu gradients', async (backend) => {
      const reference = onCpu ?? (onCpu = await branchGradients('cpu'));
      const other = await branchGradients(backend);
      expect([...other.keys()]).toEqual([...reference.keys()]);
      // Conv biases before batch norm get ~0 gradient, so each error is scaled by max(own scale, 1% of the largest).
      const largest = Math.max(...[...reference.values()].map((g) => Math.max(...Array.from(g, Math.abs))));
      for (const [name, g] of reference) {
        const w = other.get(name)!;
        let worst = 0;
        let scale = 0.01 * largest;
        for (let i = 0; i < g.length; i++) {
          worst = Math.max(worst, Math.abs(w[i] - g[i]));
          scale = Math.max(scale, Math.abs(g[i]));
        }
        expect(worst / scale, name).toBeLessThan(1e-3);
      }
    });
  });

  describe('having two networks built from the same seed', () => {
    beforeAll(() => useBackend('cpu'));
    it('should have identical weights; another seed should differ; the two decoders should start different', () => {
      const a = make({ ...TINY, name: 'd3a', random: new SeededRandom(3) });
      const b = make({ ...TINY, name: 'd3b', random: new SeededRandom(3) });
      const c = make({ ...TINY, name: 'd3c', random: new SeededRandom(4) });
      a.trainableVariables.forEach((v, i) => expect(Array.from(b.trainableVariables[i].dataSync())).toEqual(Array.from(v.dataSync())));
      expect(relativeError(c.trainableVariables[0].dataSync(), a.trainableVariables[0].dataSync())).toBeGreaterThan(1e-3);
      const kernel = (branch: string) => a.trainableVariables.find((v) => v.name === `d3a/${branch}1/conv1/kernel`)!.dataSync();
      expect(relativeError(kernel('dec_a'), kernel('dec_b'))).toBeGreaterThan(1e-3);
    });
  });
});
