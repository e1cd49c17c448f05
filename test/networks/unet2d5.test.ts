import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNet2D5, unet2d5Params } from '../../src/networks/unet2d5.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, type ParsedArgs } from './network-test-helpers.js';

type Shape5 = [number, number, number, number, number];

/**
 * Trainable parameters of PyMIC's UNet2D5, derived from the architecture: a ConvBlock(cin, cout) of dimension 2 has
 * two 3x3 convs (9 cin cout + cout, 9 cout cout + cout), of dimension 3 two 3x3x3 convs (27 ...), plus two batch norms
 * (2 cout each) and two PReLUs (1 slope each). Up block l: a 1x1x1 conv (in1 in2 + in2) or a transposed conv
 * (4 in1 in2 + in2 in 2D, 8 in1 in2 + in2 in 3D), then a ConvBlock(2 in2, in2) of level l's dimension. Output:
 * a 1x3x3 conv (9 f0 K + K).
 */
function expectedParameterCount(f: number[], dims: number[], inChannels: number, classes: number, transposed: boolean): number {
  const block = (cin: number, cout: number, dim: number) => {
    const taps = dim === 3 ? 27 : 9;
    return taps * cin * cout + cout + taps * cout * cout + cout + 4 * cout + 2;
  };
  let n = 0;
  for (let l = 0; l < 5; l++) n += block(l === 0 ? inChannels : f[l - 1], f[l], dims[l]);
  for (let l = 3; l >= 0; l--) {
    const up = transposed ? (dims[l] === 3 ? 8 : 4) * f[l + 1] * f[l] : f[l + 1] * f[l];
    n += up + f[l] + block(2 * f[l], f[l], dims[l]);
  }
  return n + 9 * f[0] * classes + classes;
}

const TINY: ParsedArgs<typeof unet2d5Params> = {
  inChannels: 1,
  classes: 3,
  features: [2, 2, 4, 4, 4],
  dropout: [0, 0, 0, 0, 0],
  convDims: [2, 2, 3, 3, 3],
  random: new SeededRandom(7),
};

const make = disposedAfterEach(parsingParams(unet2d5Params, (args) => new UNet2D5(args)));

describe('UNet2D5', () => {
  describe("having PyMIC's example configuration (features 2-8-32-48-64, dims 2-2-3-3-3, 4 channels, 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));
    it('with transposed convs (bilinear false, as the example), should have the 643,570 parameters its architecture implies', () => {
      const args: ParsedArgs<typeof unet2d5Params> = { inChannels: 4, classes: 2, features: [2, 8, 32, 48, 64], convDims: [2, 2, 3, 3, 3], upMode: 'transposed' };
      expect(expectedParameterCount([2, 8, 32, 48, 64], [2, 2, 3, 3, 3], 4, 2, true)).toBe(643_570);
      expect(make(args).parameterCount()).toBe(643_570);
    });
    it('with linear up-sampling and the default 16-256 features, should match the formula', () => {
      const net = make({ inChannels: 1, classes: 2 });
      expect(net.parameterCount()).toBe(expectedParameterCount([16, 32, 64, 128, 256], [2, 2, 3, 3, 3], 1, 2, false));
      expect(net.stateVariables).toHaveLength(36);
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['linear', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 1x12x16x48x1 input (depth 3 x 4, width 3 x 16), should return 1x12x16x48xclasses logits', () => {
        const net = make({ ...TINY, upMode, dropout: [0, 0.1, 0.2, 0.3, 0.5] });
        tf.tidy(() => {
          const x = tf.tensor5d(pseudoRandom(12 * 16 * 48, 1), [1, 12, 16, 48, 1]);
          expect(net.applyVolume(x, { training: true, random: new SeededRandom(2) }).shape).toEqual([1, 12, 16, 48, 3]);
          expect(net.apply(x as tf.Tensor5D, { training: false }).shape).toEqual([1, 12, 16, 48, 3]);
        });
      });
    });

    it('when the depth is not a multiple of 4 (two 3D poolings), should throw naming the rule', () => {
      const net = make({ ...TINY });
      const x = tf.zeros([1, 6, 16, 16, 1]) as tf.Tensor5D;
      expect(() => net.applyVolume(x, { training: false })).toThrow(/6x16x16; depth must be divisible by 4/);
      x.dispose();
    });

    it('when trained for 2 Adam steps with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.2, 0.3], upMode: 'transposed' });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const x = tf.tensor5d(pseudoRandom(4 * 16 * 16, iteration), [1, 4, 16, 16, 1]);
              return tf.mean(tf.square(net.applyVolume(x, { training: true, random: new SeededRandom(iteration) }))) as tf.Scalar;
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

  describe.each(['linear', 'transposed'] as const)("having a tiny net with up mode '%s' and a 2x4x16x16x1 input", (upMode) => {
    const xShape: Shape5 = [2, 4, 16, 16, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(size(xShape) * 3, 22);

    it('when differentiated in training mode on cpu and on wasm, should give the same gradients (PReLU slopes included)', async () => {
      await useBackend('cpu');
      const onCpu = projectedGradients(make({ ...TINY, name: `c25_${upMode}`, upMode, random: new SeededRandom(5) }), x, xShape, projection, true);
      await useBackend('wasm');
      const onWasm = projectedGradients(make({ ...TINY, name: `w25_${upMode}`, upMode, random: new SeededRandom(5) }), x, xShape, projection, true);
      expect([...onWasm.keys()]).toEqual([...onCpu.keys()]);
      expect([...onCpu.keys()]).toContain('enc0/prelu1');
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

    // As in the UNet3D test: inference mode, dense projection, best of three steps 3e-5..1e-3 within 2 %.
    it('when differentiated in inference mode on cpu, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: `fd25_${upMode}`, upMode, random: new SeededRandom(6) });
      // 40 training passes bring the running statistics to this batch's (0.9^40 = 1.5 % of the initial ones left).
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.applyVolume(tf.tensor5d(x, xShape), { training: true }));
      const analytic = projectedGradients(net, x, xShape, projection, false);
      const loss = () =>
        tf.tidy(() => {
          const y = net.applyVolume(tf.tensor5d(x, xShape), { training: false });
          return tf.sum(tf.mul(y, tf.tensor(projection, y.shape))).dataSync()[0];
        });
      for (const path of ['enc0/conv1/kernel', 'enc2/prelu2', 'dec1/up/kernel', 'dec4/up/kernel', 'out/kernel']) {
        const v = net.trainableVariables.find((t) => t.name === `${net.name}/${path}`)!;
        const original = v.dataSync().slice() as Float32Array;
        const direction = pseudoRandom(original.length, 99);
        const at = (t: number) => {
          v.assign(tf.tensor(original.map((w, i) => w + t * direction[i]), v.shape));
          return loss();
        };
        const numerics = [3e-5, 1e-4, 1e-3].map((eps) => (at(eps) - at(-eps)) / (2 * eps));
        v.assign(tf.tensor(original, v.shape));
        const g = analytic.get(path)!;
        const exact = g.reduce((sum, gi, i) => sum + gi * direction[i], 0);
        const norm = Math.sqrt(g.reduce((sum, gi) => sum + gi * gi, 0));
        expect(Math.min(...numerics.map((numeric) => Math.abs(exact - numeric))) / norm, path).toBeLessThan(2e-2);
      }
    });
  });
});
