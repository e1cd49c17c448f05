import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNet2DScSE, unet2dScSEParams } from '../../src/networks/unet2d-scse.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters of PyMIC's UNet2D_ScSE, derived from the architecture: ConvBlock(cin, cout) = two 3x3 convs
 * (9 cin cout + cout, 9 cout cout + cout) + two batch norms (4 cout) + scSE(cout); scSE(c) = channel SE (Linear c -> c/2
 * and c/2 -> c with biases) + spatial SE (1x1 conv c -> 1 with bias). Up block: 1x1 conv (in1 in2 + in2) then
 * ConvBlock(2 in2, in2). Output: a 3x3 conv (9 f0 K + K).
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number): number {
  const scse = (c: number) => {
    const r = Math.floor(c / 2);
    return c * r + r + r * c + c + (c + 1);
  };
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout + scse(cout);
  let n = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) n += block(f[l - 1], f[l]);
  for (let l = 3; l >= 0; l--) n += f[l + 1] * f[l] + f[l] + block(2 * f[l], f[l]);
  return n + 9 * f[0] * classes + classes;
}

const TINY: ParsedArgs<typeof unet2dScSEParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(unet2dScSEParams, (args) => new UNet2DScSE(args)));

describe('UNet2DScSE', () => {
  describe("having PyMIC's configuration (16-32-64-128-256, 1 -> 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));
    it('should have the 1,924,379 parameters its architecture implies', () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(1_924_379);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(1_924_379);
    });
    it('having a feature count of 1, should be rejected by the schema naming it (the channel SE would have no hidden unit)', () => {
      expect(schemaIssues(unet2dScSEParams, { inChannels: 1, classes: 2, features: [1, 2, 2, 2, 2] })).toEqual([expect.stringMatching(/^features\.0: .*>=2/)]);
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['bilinear', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 2x48x80x1 input (3 x 16 by 5 x 16), should return 2x48x80x3 logits in training and inference', () => {
        const net = make({ ...TINY, upMode, dropout: [0.1, 0.1, 0.2, 0.3, 0.5] });
        tf.tidy(() => {
          const x = tf.tensor4d(pseudoRandom(2 * 48 * 80, 1), [2, 48, 80, 1]);
          expect(net.apply(x, { training: true, random: new SeededRandom(2) }).shape).toEqual([2, 48, 80, 3]);
          expect(net.apply(x, { training: false }).shape).toEqual([2, 48, 80, 3]);
        });
      });
    });

    it('when trained for 2 Adam steps, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.2, 0.3] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () => tf.tidy(() => tf.mean(tf.square(net.apply(tf.tensor4d(pseudoRandom(2 * 32 * 32, iteration), [2, 32, 32, 1]), { training: true, random: new SeededRandom(iteration) }))) as tf.Scalar),
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

  describe('having a tiny net and a 2x32x32x1 input', () => {
    const xShape: [number, number, number, number] = [2, 32, 32, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(size(xShape) * 3, 22);

    it('when differentiated in training mode on cpu and on wasm, should give the same gradients (SE weights included)', async () => {
      await useBackend('cpu');
      const onCpu = projectedGradients(make({ ...TINY, name: 'cse_cpu', random: new SeededRandom(5) }), x, xShape, projection, true);
      await useBackend('wasm');
      const onWasm = projectedGradients(make({ ...TINY, name: 'cse_wasm', random: new SeededRandom(5) }), x, xShape, projection, true);
      expect([...onCpu.keys()]).toContain('enc2/cse/fc1/kernel');
      expect([...onWasm.keys()]).toEqual([...onCpu.keys()]);
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

    // As in the UNet3D test: inference mode, dense projection, best of three steps 3e-5..1e-3 within 2 %. The channel
    // SE's first layer and the decoder's spatial SE (which max() rarely selects) get gradients 100-1000x smaller than
    // the rest here, below float32 finite-difference noise, so the channel SE's second layer and an encoder spatial SE
    // stand for the two paths (the others are covered by the cpu / wasm comparison above).
    it('when differentiated in inference mode on cpu, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: 'cse_fd', random: new SeededRandom(6) });
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.apply(tf.tensor4d(x, xShape), { training: true }));
      const analytic = projectedGradients(net, x, xShape, projection, false);
      const loss = () => tf.tidy(() => tf.sum(tf.mul(net.apply(tf.tensor4d(x, xShape), { training: false }), tf.tensor(projection, [2, 32, 32, 3]))).dataSync()[0]);
      for (const path of ['enc0/conv1/kernel', 'enc1/cse/fc2/kernel', 'enc1/sse/conv/kernel', 'out/kernel']) {
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
