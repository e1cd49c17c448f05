import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { NestedUNet2D, nestedUNet2DParams } from '../../src/networks/nested-unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters of PyMIC's NestedUNet2D, derived from the architecture: a ConvBlock(cin, cout) per node (two 3x3
 * convs with biases and two batch norms); node (i, 0) maps f(i-1) (or the input channels) to f(i), node (i, j >= 1)
 * maps j f(i) + f(i+1) to f(i); upsampling has no parameters; output: a 1x1 conv (f0 K + K).
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number): number {
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout;
  let n = 0;
  for (let i = 0; i < 5; i++) {
    n += block(i === 0 ? inChannels : f[i - 1], f[i]);
    for (let j = 1; i + j < 5; j++) n += block(f[i] * j + f[i + 1], f[i]);
  }
  return n + f[0] * classes + classes;
}

const TINY: ParsedArgs<typeof nestedUNet2DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(nestedUNet2DParams, (args) => new NestedUNet2D(args)));

describe('NestedUNet2D', () => {
  describe("having PyMIC's configuration (16-32-64-128-256, 1 -> 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));
    it('should have the 2,293,522 parameters its architecture implies (15 conv blocks)', () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(2_293_522);
      const net = make({ inChannels: 1, classes: 2 });
      expect(net.parameterCount()).toBe(2_293_522);
      expect(net.stateVariables).toHaveLength(60); // 15 blocks, 2 batch norms each, mean and variance
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe('having the default bilinear up-sampling', () => {
      it('when given a 2x48x80x1 input (3 x 16 by 5 x 16), should return 2x48x80x3 logits in training and inference', () => {
        const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.3, 0.5] });
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

    it('when differentiated in training mode on cpu and on wasm, should give the same gradients (every nested node included)', async () => {
      await useBackend('cpu');
      const onCpu = projectedGradients(make({ ...TINY, name: 'nest_cpu', random: new SeededRandom(5) }), x, xShape, projection, true);
      await useBackend('wasm');
      const onWasm = projectedGradients(make({ ...TINY, name: 'nest_wasm', random: new SeededRandom(5) }), x, xShape, projection, true);
      expect([...onCpu.keys()]).toContain('x1_3/conv1/kernel');
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

    // As in the UNet3D test: inference mode, dense projection, best of four steps 3e-5..1e-3 within 2 %.
    it('when differentiated in inference mode on cpu, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: 'nest_fd', random: new SeededRandom(6) });
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.apply(tf.tensor4d(x, xShape), { training: true }));
      const analytic = projectedGradients(net, x, xShape, projection, false);
      const loss = () => tf.tidy(() => tf.sum(tf.mul(net.apply(tf.tensor4d(x, xShape), { training: false }), tf.tensor(projection, [2, 32, 32, 3]))).dataSync()[0]);
      for (const path of ['x0_0/conv1/kernel', 'x1_2/conv1/kernel', 'x2_1/conv2/kernel', 'x0_4/conv2/kernel', 'out/kernel']) {
        const v = net.trainableVariables.find((t) => t.name === `${net.name}/${path}`)!;
        const original = v.dataSync().slice() as Float32Array;
        const direction = pseudoRandom(original.length, 99);
        const at = (t: number) => {
          v.assign(tf.tensor(original.map((w, i) => w + t * direction[i]), v.shape));
          return loss();
        };
        const numerics = [3e-5, 1e-4, 3e-4, 1e-3].map((eps) => (at(eps) - at(-eps)) / (2 * eps));
        v.assign(tf.tensor(original, v.shape));
        const g = analytic.get(path)!;
        const exact = g.reduce((sum, gi, i) => sum + gi * direction[i], 0);
        const norm = Math.sqrt(g.reduce((sum, gi) => sum + gi * gi, 0));
        expect(Math.min(...numerics.map((numeric) => Math.abs(exact - numeric))) / norm, path).toBeLessThan(2e-2);
      }
    });
  });
});
