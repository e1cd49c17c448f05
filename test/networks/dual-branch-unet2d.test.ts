import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DualBranchUNet2D, dualBranchUNet2DParams } from '../../src/networks/dual-branch-unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { expectClose, pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters derived from the architecture: UNet2D's encoder (a ConvBlock per level: two 3x3 convs with
 * biases and two batch norms) and two of UNet2D's decoders (per level a 1x1 conv in1 in2 + in2 and a ConvBlock(2 in2,
 * in2)), each with a 1x1 output conv. For 16-256 this is PyMIC's UNet2D (1,813,218) plus a second decoder.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number): number {
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout;
  let encoder = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) encoder += block(f[l - 1], f[l]);
  let decoder = f[0] * classes + classes;
  for (let l = 0; l < 4; l++) decoder += f[l + 1] * f[l] + f[l] + block(2 * f[l], f[l]);
  return encoder + 2 * decoder;
}

const TINY: ParsedArgs<typeof dualBranchUNet2DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(dualBranchUNet2DParams, (args) => new DualBranchUNet2D(args)));

describe('DualBranchUNet2D', () => {
  describe('having the 16-32-64-128-256 configuration, 1 -> 2 classes', () => {
    beforeAll(() => useBackend('cpu'));
    it("should have UNet2D's 1,813,218 parameters plus a second decoder: 2,445,972", () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(2_445_972);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(2_445_972);
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['bilinear', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 2x48x80x1 input, should return two different 2x48x80x3 branches and apply() their average', () => {
        const net = make({ ...TINY, upMode });
        tf.tidy(() => {
          const x = tf.tensor4d(pseudoRandom(2 * 48 * 80, 1), [2, 48, 80, 1]);
          const [a, b] = net.applyBranches(x, { training: false });
          expect(a.shape).toEqual([2, 48, 80, 3]);
          expect(b.shape).toEqual([2, 48, 80, 3]);
          expect(Math.max(...Array.from(tf.abs(tf.sub(a, b)).dataSync()))).toBeGreaterThan(1e-3);
          expectClose(net.apply(x, { training: false }).dataSync(), tf.div(tf.add(a, b), 2).dataSync(), 1e-6);
        });
      });
    });

    it("when the output mode is 'first' or 'second', should return that branch", () => {
      const first = make({ ...TINY, name: `first_${backend}`, outputMode: 'first' });
      const second = make({ ...TINY, name: `second_${backend}`, outputMode: 'second' });
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(32 * 32, 2), [1, 32, 32, 1]);
        const [a, b] = first.applyBranches(x, { training: false });
        expect(Array.from(first.apply(x, { training: false }).dataSync())).toEqual(Array.from(a.dataSync()));
        expect(Array.from(second.apply(x, { training: false }).dataSync())).toEqual(Array.from(b.dataSync()));
      });
    });

    it('when trained for 2 Adam steps on both branches with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.2, 0.3] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const [a, b] = net.applyBranches(tf.tensor4d(pseudoRandom(2 * 32 * 32, iteration), [2, 32, 32, 1]), { training: true, random: new SeededRandom(iteration) });
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

  describe('having a tiny net and a 2x32x32x1 input', () => {
    it('when both branches are differentiated in training mode on cpu and on wasm, should give the same gradients', async () => {
      const xShape: [number, number, number, number] = [2, 32, 32, 1];
      const x = pseudoRandom(size(xShape), 21);
      const projection = pseudoRandom(size(xShape) * 3, 22);
      const run = (net: DualBranchUNet2D) => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const [a, b] = net.applyBranches(tf.tensor4d(x, xShape), { training: true });
              const r = tf.tensor(projection, a.shape);
              return tf.add(tf.sum(tf.mul(a, r)), tf.sum(tf.mul(b, tf.neg(r)))) as tf.Scalar;
            }),
          net.trainableVariables as tf.Variable[],
        );
        value.dispose();
        const out = new Map(Object.entries(grads).map(([name, g]) => [name.slice(net.name.length + 1), g.dataSync() as Float32Array]));
        Object.values(grads).forEach((g) => g.dispose());
        return out;
      };
      await useBackend('cpu');
      const onCpu = run(make({ ...TINY, name: 'db_cpu', random: new SeededRandom(5) }));
      await useBackend('wasm');
      const onWasm = run(make({ ...TINY, name: 'db_wasm', random: new SeededRandom(5) }));
      expect([...onCpu.keys()]).toContain('dec_b4/conv1/kernel');
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
  });
});
