import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMicflowError } from '../../src/errors/micflow-error.js';
import { UNet3D, unet3dParams } from '../../src/networks/unet3d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, relativeError, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters of PyMIC's UNet3D, derived from the architecture: a ConvBlock(cin, cout) has two 3x3x3 convs
 * with biases (27 cin cout + cout, 27 cout cout + cout) and two BatchNorm3d (2 cout each); an UpBlock adds a 1x1x1
 * conv (in1 in2 + in2) or a 2x2x2 transposed conv (8 in1 in2 + in2) before a ConvBlock(2 in2, in2); the output is a
 * 1x1x1 conv (f0 K + K), and each deep-supervision head another (f_l K + K for l = 1, 2, 3).
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number, transposed: boolean, deep: boolean): number {
  const block = (cin: number, cout: number) => 27 * cin * cout + cout + 27 * cout * cout + cout + 4 * cout;
  let n = block(inChannels, f[0]);
  for (let l = 1; l < f.length; l++) n += block(f[l - 1], f[l]);
  for (let l = f.length - 1; l >= 1; l--) n += (transposed ? 8 : 1) * f[l] * f[l - 1] + f[l - 1] + block(2 * f[l - 1], f[l - 1]);
  n += f[0] * classes + classes;
  if (deep) for (const l of [1, 2, 3]) n += f[l] * classes + classes;
  return n;
}

const TINY: ParsedArgs<typeof unet3dParams> = {
  inChannels: 1,
  classes: 3,
  features: [2, 4, 4, 6],
  dropout: [0, 0, 0, 0],
  random: new SeededRandom(11),
};

const make = disposedAfterEach(parsingParams(unet3dParams, (args) => new UNet3D(args)));

describe('UNet3D', () => {
  describe("having PyMIC's default configuration (features 16-32-64-128-256, 1 input channel, 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));

    it('with trilinear up-sampling, should have the 5,343,234 parameters its architecture implies', () => {
      const net = make({ inChannels: 1, classes: 2 });
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, false, false)).toBe(5_343_234);
      expect(net.parameterCount()).toBe(5_343_234);
      expect(net.stateVariables).toHaveLength(36); // 18 BatchNorm3d, running mean and variance each
    });
    it('with transposed convs, should have 5,647,874 parameters', () => {
      expect(make({ inChannels: 1, classes: 2, upMode: 'transposed' }).parameterCount()).toBe(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, true, false));
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, true, false)).toBe(5_647_874);
    });
    it("with deep supervision and PyMIC's 4-level demo config (features 2-8-32-64, 4 channels), should add the three heads", () => {
      expect(make({ inChannels: 4, classes: 2, features: [2, 8, 32, 64], dropout: [0, 0, 0, 0.5] }).parameterCount()).toBe(294_640);
      const deep = make({ inChannels: 4, classes: 2, features: [2, 8, 32, 64], dropout: [0, 0, 0, 0.5], deepSupervision: true });
      expect(deep.parameterCount()).toBe(expectedParameterCount([2, 8, 32, 64], 4, 2, false, true));
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['trilinear', 'nearest', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 1x8x24x16x1 input (24 = 3 x 8), should return 1x8x24x16xclasses logits in training and inference', () => {
        const net = make({ ...TINY, upMode, dropout: [0, 0.1, 0.2, 0.3] });
        tf.tidy(() => {
          const x = tf.tensor5d(pseudoRandom(8 * 24 * 16, 1), [1, 8, 24, 16, 1]);
          expect(net.applyVolume(x, { training: true, random: new SeededRandom(2) }).shape).toEqual([1, 8, 24, 16, 3]);
          expect(net.apply(x as tf.Tensor5D, { training: false }).shape).toEqual([1, 8, 24, 16, 3]);
        });
      });
    });

    it('with deep supervision, should return logits at full, 1/2, 1/4 and 1/8 resolution', () => {
      const net = make({ ...TINY, deepSupervision: true });
      tf.tidy(() => {
        const outputs = net.applyMultiscale(tf.zeros([2, 8, 8, 16, 1]) as tf.Tensor5D, { training: false });
        expect(outputs.map((o) => o.shape)).toEqual([
          [2, 8, 8, 16, 3],
          [2, 4, 4, 8, 3],
          [2, 2, 2, 4, 3],
          [2, 1, 1, 2, 3],
        ]);
      });
    });

    it('when the size is not divisible by 8, should throw invalid-shape naming the size', () => {
      const net = make({ ...TINY });
      const x = tf.zeros([1, 8, 12, 8, 1]) as tf.Tensor5D;
      try {
        net.applyVolume(x, { training: false });
        expect.unreachable();
      } catch (error) {
        expect(isMicflowError(error) && error.kind).toBe('invalid-shape');
        expect(String(error)).toMatch(/8x12x8.*divisible by 8/);
      } finally {
        x.dispose();
      }
    });

    it('when trained for 2 Adam steps with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.3], upMode: 'transposed', deepSupervision: true });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const x = tf.tensor5d(pseudoRandom(8 * 8 * 8, iteration), [1, 8, 8, 8, 1]);
              const outputs = net.applyMultiscale(x, { training: true, random: new SeededRandom(iteration) });
              return tf.addN(outputs.map((o) => tf.mean(tf.square(o)))) as tf.Scalar;
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

  describe.each(['trilinear', 'transposed'] as const)("having a tiny net with up mode '%s' and a 2x8x8x8x1 input", (upMode) => {
    const xShape = [2, 8, 8, 8, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(size(xShape) * 3, 22);

    it('when differentiated in training mode on cpu and on wasm, should give the same gradients', async () => {
      await useBackend('cpu');
      const onCpu = projectedGradients(make({ ...TINY, name: `c3_${upMode}`, upMode, random: new SeededRandom(5) }), x, xShape, projection, true);
      await useBackend('wasm');
      const onWasm = projectedGradients(make({ ...TINY, name: `w3_${upMode}`, upMode, random: new SeededRandom(5) }), x, xShape, projection, true);
      expect([...onWasm.keys()]).toEqual([...onCpu.keys()]);
      // Conv biases before batch norm get ~0 gradient, so each error is scaled by max(own scale, 1% of the largest).
      const largest = Math.max(...[...onCpu.values()].map((g) => Math.max(...Array.from(g, Math.abs))));
      for (const [name, g] of onCpu) {
        const w = onWasm.get(name)!;
        let worst = 0;
        let scale = 0.01 * largest;
        for (let i = 0; i < g.length; i++) {
          worst = Math.max(worst, Math.abs(w[i] - g[i]));
          scale = Math.max(scale, Math.abs(g[i]));
        }
        expect(worst / scale, name).toBeLessThan(1e-3);
      }
    });

    // Inference mode, as in the UNet2D test: the training-mode loss of a tiny net is too curved for float32 finite
    // differences. In inference mode the net is piecewise linear, but steps of 1e-3 and more cross kinks (LeakyReLU,
    // max pool) of the full-resolution layers (errors of 3-10 %) while steps below 1e-5 drown in float32 rounding;
    // with the dense projection, steps of 3e-5..1e-3 agree to 0.1-1 % at best, so the best of three must agree to
    // 2 %. A wrong or missing gradient path is off by O(1) at every step.
    it('when differentiated in inference mode on cpu, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: `fd3_${upMode}`, upMode, random: new SeededRandom(6) });
      // 40 training passes bring the running statistics to this batch's (0.9^40 = 1.5 % of the initial ones left).
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.applyVolume(tf.tensor(x, xShape as [number, number, number, number, number]) as tf.Tensor5D, { training: true }));
      const analytic = projectedGradients(net, x, xShape, projection, false);
      const loss = () =>
        tf.tidy(() => {
          const y = net.applyVolume(tf.tensor(x, xShape as [number, number, number, number, number]) as tf.Tensor5D, { training: false });
          return tf.sum(tf.mul(y, tf.tensor(projection, y.shape))).dataSync()[0];
        });
      for (const path of ['enc0/conv1/kernel', 'dec1/up/kernel', 'dec3/conv1/kernel', 'out/kernel']) {
        const v = net.trainableVariables.find((t) => t.name === `${net.name}/${path}`)!;
        const original = v.dataSync().slice() as Float32Array;
        const direction = pseudoRandom(original.length, 99);
        const at = (t: number) => {
          v.assign(tf.tensor(original.map((w, i) => w + t * direction[i]), v.shape));
          return loss();
        };
        const central = (eps: number) => (at(eps) - at(-eps)) / (2 * eps);
        const numerics = [3e-5, 1e-4, 1e-3].map(central);
        v.assign(tf.tensor(original, v.shape));
        const g = analytic.get(path)!;
        const exact = g.reduce((sum, gi, i) => sum + gi * direction[i], 0);
        const norm = Math.sqrt(g.reduce((sum, gi) => sum + gi * gi, 0));
        expect(Math.min(...numerics.map((numeric) => Math.abs(exact - numeric))) / norm, path).toBeLessThan(2e-2);
      }
    });
  });

  describe('having two networks built from the same seed', () => {
    beforeAll(() => useBackend('cpu'));
    it('should have identical weights; another seed should differ', () => {
      const a = make({ ...TINY, name: 'sa', random: new SeededRandom(3) });
      const b = make({ ...TINY, name: 'sb', random: new SeededRandom(3) });
      const c = make({ ...TINY, name: 'sc', random: new SeededRandom(4) });
      a.trainableVariables.forEach((v, i) => expect(Array.from(b.trainableVariables[i].dataSync())).toEqual(Array.from(v.dataSync())));
      expect(relativeError(c.trainableVariables[0].dataSync(), a.trainableVariables[0].dataSync())).toBeGreaterThan(1e-3);
    });
  });
});
