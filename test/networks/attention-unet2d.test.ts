import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttentionUNet2D, attentionUNet2DParams } from '../../src/networks/attention-unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters of PyMIC's AttentionUNet2D, derived from the architecture: UNet2D's (ConvBlock(cin, cout) = two
 * 3x3 convs with biases + two batch norms; up: 1x1 conv in1 in2 + in2 then ConvBlock(2 in2, in2); output 1x1 conv)
 * plus one attention gate per up block with m = floor(min(C_low, C_high) / 2): 1x1 convs C_low -> m, C_high -> m and
 * m -> 1, with biases. For 16-256 that is PyMIC's UNet2D's 1,813,218 plus the four gates.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number): number {
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout;
  let n = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) n += block(f[l - 1], f[l]);
  for (let l = 3; l >= 0; l--) {
    const [low, high] = [f[l], f[l + 1]];
    const m = Math.floor(Math.min(low, high) / 2);
    n += high * low + low + block(2 * low, low) + (low * m + m) + (high * m + m) + (m + 1);
  }
  return n + f[0] * classes + classes;
}

const TINY: ParsedArgs<typeof attentionUNet2DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(attentionUNet2DParams, (args) => new AttentionUNet2D(args)));

describe('AttentionUNet2D', () => {
  describe("having PyMIC's configuration (16-32-64-128-256, 1 -> 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));
    it("should have UNet2D's 1,813,218 parameters plus 33,004 in the four gates: 1,846,222", () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(1_846_222);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(1_846_222);
    });
    it('having a feature count of 1, should be rejected by the schema naming it (the gate would have no hidden channel)', () => {
      expect(schemaIssues(attentionUNet2DParams, { inChannels: 1, classes: 2, features: [1, 2, 2, 2, 2] })).toEqual([expect.stringMatching(/^features\.0: .*>=2/)]);
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

    it('when differentiated in training mode on cpu and on wasm, should give the same gradients (gate weights included)', async () => {
      await useBackend('cpu');
      const onCpu = projectedGradients(make({ ...TINY, name: 'ag_cpu', random: new SeededRandom(5) }), x, xShape, projection, true);
      await useBackend('wasm');
      const onWasm = projectedGradients(make({ ...TINY, name: 'ag_wasm', random: new SeededRandom(5) }), x, xShape, projection, true);
      expect([...onCpu.keys()]).toContain('dec2/gate/attention/kernel');
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

    // As in the UNet3D test: inference mode, dense projection, best of four steps 3e-5..1e-3 within 2 %. The gates'
    // input convs stand for the gate (its 3-weight output conv of the deepest gate is too small a direction for float32
    // differences here, 3 %; it is covered by the cpu / wasm comparison above).
    it('when differentiated in inference mode on cpu, should match central finite differences along random directions', async () => {
      await useBackend('cpu');
      const net = make({ ...TINY, name: 'ag_fd', random: new SeededRandom(6) });
      for (let i = 0; i < 40; i++) tf.tidy(() => void net.apply(tf.tensor4d(x, xShape), { training: true }));
      const analytic = projectedGradients(net, x, xShape, projection, false);
      const loss = () => tf.tidy(() => tf.sum(tf.mul(net.apply(tf.tensor4d(x, xShape), { training: false }), tf.tensor(projection, [2, 32, 32, 3]))).dataSync()[0]);
      for (const path of ['enc0/conv1/kernel', 'dec3/gate/gating/kernel', 'dec4/gate/skip/kernel', 'out/kernel']) {
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
