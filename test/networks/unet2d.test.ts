import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMicflowError } from '../../src/errors/micflow-error.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { conv2dSame } from '../../src/runtime/ops/conv2d-same.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { expectClose, pseudoRandom, relativeError, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, type ParsedArgs } from './network-test-helpers.js';

const TINY: ParsedArgs<typeof unet2dParams> = {
  inChannels: 1,
  classes: 3,
  features: [2, 4, 4, 8, 8],
  dropout: [0, 0, 0, 0, 0],
  random: new SeededRandom(11),
};

const make = disposedAfterEach(parsingParams(unet2dParams, (args) => new UNet2D(args)));

describe('UNet2D', () => {
  describe("having PyMIC's configuration (features 16-32-64-128-256, 1 input channel, 2 classes, bilinear)", () => {
    beforeAll(() => useBackend('cpu'));

    it("should have PyMIC's 1,813,218 trainable parameters", () => {
      const net = make({ inChannels: 1, classes: 2, upMode: 'bilinear' });
      expect(net.parameterCount()).toBe(1_813_218);
      expect(UNet2D.className).toBe('UNet2D');
      // 18 batch norms with a running mean and variance each.
      expect(net.stateVariables).toHaveLength(36);
    });

    it('should name every variable uniquely under the network name', () => {
      const net = make({ name: 'seg', inChannels: 1, classes: 2 });
      const names = [...net.trainableVariables, ...net.stateVariables].map((v) => v.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('seg/enc0/conv1/kernel');
      expect(names.every((n) => n.startsWith('seg/'))).toBe(true);
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['bilinear', 'nearest', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 2x32x48x1 input, should return 2x32x48xclasses logits in training and inference', () => {
        const net = make({ ...TINY, upMode, dropout: [0.05, 0.1, 0.2, 0.3, 0.5] });
        tf.tidy(() => {
          const x = tf.tensor4d(pseudoRandom(2 * 32 * 48, 1), [2, 32, 48, 1]);
          expect(net.apply(x, { training: true, random: new SeededRandom(2) }).shape).toEqual([2, 32, 48, 3]);
          expect(net.apply(x, { training: false }).shape).toEqual([2, 32, 48, 3]);
        });
      });
    });

    it('when the input size is not divisible by 16, should throw invalid-shape naming the size and the rule', () => {
      const net = make({ ...TINY });
      const x = tf.zeros([1, 30, 48, 1]) as tf.Tensor4D;
      try {
        expect(() => net.apply(x, { training: false })).toThrow(/30x48.*divisible by 16/);
        try {
          net.apply(x, { training: false });
        } catch (error) {
          expect(isMicflowError(error) && error.kind).toBe('invalid-shape');
        }
      } finally {
        x.dispose();
      }
    });

    it('when trained for 3 iterations with Adam, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.2, 0.3], upMode: 'transposed' });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 3; iteration++) {
        const { value, grads } = tf.variableGrads(() =>
          tf.tidy(() => {
            const x = tf.tensor4d(pseudoRandom(2 * 16 * 32, iteration), [2, 16, 32, 1]);
            return tf.mean(tf.square(net.apply(x, { training: true, random: new SeededRandom(iteration) }))) as tf.Scalar;
          }),
          net.trainableVariables,
        );
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('when run in training mode, should update the running stats with momentum 0.1 and the unbiased variance', () => {
      const net = make({ ...TINY, name: `stats_${backend}` });
      const xShape = [2, 16, 32, 1];
      const x = pseudoRandom(size(xShape), 5, 0, 2);
      const find = (suffix: string) => [...net.trainableVariables, ...net.stateVariables].find((v) => v.name.endsWith(suffix))!;
      const [mean, unbiased] = tf.tidy(() => {
        const h = conv2dSame(tf.tensor4d(x, xShape as never), find('enc0/conv1/kernel') as tf.Tensor4D, find('enc0/conv1/bias') as tf.Tensor1D);
        const m = tf.mean(h, [0, 1, 2]);
        const count = h.size / h.shape[3];
        const v = tf.mul(tf.mean(tf.square(tf.sub(h, m)), [0, 1, 2]), count / (count - 1));
        return [m.dataSync(), v.dataSync()];
      });
      tf.tidy(() => void net.apply(tf.tensor4d(x, xShape as never), { training: false }));
      expect(Array.from(find('enc0/bn1/running_mean').dataSync())).toEqual([0, 0]);
      tf.tidy(() => void net.apply(tf.tensor4d(x, xShape as never), { training: true }));
      expectClose(find('enc0/bn1/running_mean').dataSync(), Array.from(mean, (m) => 0.1 * m), 1e-5);
      expectClose(find('enc0/bn1/running_var').dataSync(), Array.from(unbiased, (v) => 0.9 + 0.1 * v), 1e-5);
    });

    it('when trained with dropout, should give the same output for the same random stream and need one', () => {
      const net = make({ ...TINY, dropout: [0.2, 0.2, 0.3, 0.3, 0.5] });
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 16 * 32, 3), [2, 16, 32, 1]);
        const a = net.apply(x, { training: true, random: new SeededRandom(9) }).dataSync();
        const b = net.apply(x, { training: true, random: new SeededRandom(9) }).dataSync();
        const c = net.apply(x, { training: true, random: new SeededRandom(10) }).dataSync();
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(relativeError(c, a)).toBeGreaterThan(1e-3);
        expect(() => net.apply(x, { training: true })).toThrow(/needs opts.random/);
      });
    });
  });

  describe('having two networks built from the same seed', () => {
    beforeAll(() => useBackend('wasm'));

    it('should have identical weights, whatever their names; another seed should differ', () => {
      const a = make({ ...TINY, name: 'a', random: new SeededRandom(3) });
      const b = make({ ...TINY, name: 'b', random: new SeededRandom(3) });
      const c = make({ ...TINY, name: 'c', random: new SeededRandom(4) });
      a.trainableVariables.forEach((v, i) => {
        expect(Array.from(b.trainableVariables[i].dataSync())).toEqual(Array.from(v.dataSync()));
      });
      expect(Array.from(c.trainableVariables[0].dataSync())).not.toEqual(Array.from(a.trainableVariables[0].dataSync()));
    });

    it('should have weights within U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch', () => {
      const net = make({ ...TINY, name: 'init' });
      const kernel = net.trainableVariables.find((v) => v.name === 'init/enc1/conv1/kernel')!; // fan_in = 9 * 2
      const values = Array.from(kernel.dataSync());
      const bound = 1 / Math.sqrt(18);
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    });
  });

  describe.each(['bilinear', 'transposed'] as const)("having a tiny net with up mode '%s', a 2x16x32x1 input and no dropout", (upMode) => {
    const xShape = [2, 16, 32, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(2 * 16 * 32 * 3, 22);

    it('when differentiated on cpu and on wasm, should give the same gradients', async () => {
      await useBackend('cpu');
      const cpuNet = make({ ...TINY, name: `cmp_cpu_${upMode}`, upMode, random: new SeededRandom(5) });
      const onCpu = projectedGradients(cpuNet, x, xShape, projection);
      await useBackend('wasm');
      const wasmNet = make({ ...TINY, name: `cmp_wasm_${upMode}`, upMode, random: new SeededRandom(5) });
      const onWasm = projectedGradients(wasmNet, x, xShape, projection);
      expect([...onWasm.keys()]).toEqual([...onCpu.keys()]);
      // Biases of convs followed by batch norm have a zero gradient (the batch mean removes them), so each
      // variable's error is measured against its own scale floored at 1% of the largest gradient in the net.
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

    // In inference mode on cpu: batch norm over the 4 values per channel left at the bottom of this tiny net makes
    // the training-mode loss too curved for float32 finite differences (batch norm's training gradient is checked
    // against finite differences op by op, and the whole net's training gradient on wasm against cpu's above). In
    // inference mode the net is piecewise linear along a direction, but with kinks (LeakyReLU, max pool) so dense
    // that only steps of ~1e-5 stay between them; the loss reads 1 logit in 64 to keep float32 rounding small.
    it('when differentiated in inference mode, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: `fd_${upMode}`, upMode, random: new SeededRandom(6) });
      // Bring the running statistics close to this batch's (0.9^40 = 1.5% of the initial 0 / 1 left), so that
      // activations keep their scale through the net in inference mode.
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.apply(tf.tensor4d(x, xShape as never), { training: true }));
      const sparse = projection.map((r, i) => (i % 64 === 5 ? r : 0));
      const analytic = projectedGradients(net, x, xShape, sparse, false);
      const loss = () =>
        tf.tidy(() => {
          const y = net.apply(tf.tensor4d(x, xShape as never), { training: false });
          return tf.sum(tf.mul(y, tf.tensor(sparse, y.shape))).dataSync()[0];
        });
      for (const path of ['enc0/conv2/kernel', 'enc1/conv1/kernel', 'enc3/conv2/kernel', 'dec3/up/kernel', 'dec4/conv1/kernel', 'dec4/bn1/beta', 'out/kernel']) {
        const v = net.trainableVariables.find((t) => t.name === `${net.name}/${path}`)!;
        const original = v.dataSync().slice() as Float32Array;
        const direction = pseudoRandom(original.length, 99);
        const at = (t: number) => {
          v.assign(tf.tensor(original.map((w, i) => w + t * direction[i]), v.shape));
          return loss();
        };
        const central = (eps: number) => (at(eps) - at(-eps)) / (2 * eps);
        const numeric = (central(1e-5) + central(2e-5)) / 2;
        v.assign(tf.tensor(original, v.shape));
        const g = analytic.get(path)!;
        const exact = g.reduce((sum, gi, i) => sum + gi * direction[i], 0);
        const norm = Math.sqrt(g.reduce((sum, gi) => sum + gi * gi, 0));
        // Float32 rounding over such small steps leaves a few % of noise; a wrong or missing gradient path is O(1).
        expect(Math.abs(exact - numeric) / norm, path).toBeLessThan(5e-2);
      }
    });
  });
});
