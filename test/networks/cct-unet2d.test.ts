import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CctUNet2D, cctUNet2DParams } from '../../src/networks/cct-unet2d.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [native.backendName] : [])];

/**
 * Trainable parameters derived from the architecture: UNet2D's encoder plus 1 + A UNet2D decoders (bilinear: per level
 * a 1x1 conv in1 in2 + in2 and a ConvBlock(2 in2, in2) of two 3x3 convs with biases and two batch norms; a 1x1 output
 * conv). With no auxiliary decoder this is PyMIC's UNet2D: 1,813,218 for 16-256, 1 -> 2.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number, auxiliary: number): number {
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout;
  let encoder = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) encoder += block(f[l - 1], f[l]);
  let decoder = f[0] * classes + classes;
  for (let l = 0; l < 4; l++) decoder += f[l + 1] * f[l] + f[l] + block(2 * f[l], f[l]);
  return encoder + (1 + auxiliary) * decoder;
}

const TINY: ParsedArgs<typeof cctUNet2DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(cctUNet2DParams, (args) => new CctUNet2D(args)));

/** Mean squared difference between the main softmax (held fixed) and each auxiliary softmax: CCT's consistency loss. */
function consistency(outputs: { main: tf.Tensor4D; auxiliary: tf.Tensor4D[] }): tf.Scalar {
  const target = tf.softmax(outputs.main);
  return tf.addN(outputs.auxiliary.map((a) => tf.mean(tf.square(tf.sub(tf.softmax(a), target))))) as tf.Scalar;
}

describe('CctUNet2D', () => {
  describe('having the 16-32-64-128-256 configuration, 1 -> 2 classes', () => {
    beforeAll(() => useBackend('cpu'));
    it("without auxiliary decoders, should have PyMIC's UNet2D count 1,813,218; with the three, 3,711,480", () => {
      expect(make({ inChannels: 1, classes: 2, auxiliary: [] }).parameterCount()).toBe(1_813_218);
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, 3)).toBe(3_711_480);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(3_711_480);
    });
    it("with PyMIC's default four auxiliary decoders (VAT included), should have 4,344,234 (one more 632,754-parameter decoder)", () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, 4)).toBe(4_344_234);
      expect(make({ inChannels: 1, classes: 2, auxiliary: ['dropout', 'featureDrop', 'featureNoise', 'vat'] }).parameterCount()).toBe(4_344_234);
    });
    it('having invalid VAT settings, should be rejected by the schema naming them', () => {
      expect(schemaIssues(cctUNet2DParams, { classes: 3, auxiliary: ['vat'], vatIterations: 0 })).toEqual([expect.stringMatching(/^vatIterations: /)]);
      expect(schemaIssues(cctUNet2DParams, { classes: 3, auxiliary: ['vat'], vatIterations: 1.5 })).toEqual([expect.stringMatching(/^vatIterations: /)]);
      expect(schemaIssues(cctUNet2DParams, { classes: 3, auxiliary: ['vat'], vatXi: 0 })).toEqual([expect.stringMatching(/^vatXi: /)]);
      expect(schemaIssues(cctUNet2DParams, { classes: 3, auxiliary: ['vat'], vatEps: -1 })).toEqual([expect.stringMatching(/^vatEps: /)]);
      expect(schemaIssues(cctUNet2DParams, { classes: 3, noiseRange: -0.1 })).toEqual([expect.stringMatching(/^noiseRange: /)]);
    });
    it('having an unknown auxiliary decoder, should be rejected by the schema naming it', () => {
      expect(schemaIssues(cctUNet2DParams, { classes: 3, auxiliary: ['dropout', 'cutout'] })).toEqual([expect.stringMatching(/^auxiliary\.1: .*"vat"/)]);
    });
    it("should take PyMIC's VAT_xi 1e-6, VAT_eps 2.0 and VAT_it 2 by default and the stage's VAT params as its VAT settings", () => {
      expect(make({ ...TINY, auxiliary: ['vat'] }).vat).toEqual({ xi: 1e-6, eps: 2, iterations: 2 });
      expect(make({ ...TINY, auxiliary: ['vat'], vatXi: 0.01, vatEps: 1, vatIterations: 1 }).vat).toEqual({ xi: 0.01, eps: 1, iterations: 1 });
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('when given a 2x48x80x1 input, should return the main and three auxiliary 2x48x80x3 logits, the main equal to apply()', () => {
      const net = make(TINY);
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 48 * 80, 1), [2, 48, 80, 1]);
        const { main, auxiliary } = net.applyWithAuxiliary(x, { training: false, random: new SeededRandom(3) });
        expect([main, ...auxiliary].map((t) => t.shape)).toEqual(Array(4).fill([2, 48, 80, 3]));
        for (const a of auxiliary) expect(Math.max(...Array.from(tf.abs(tf.sub(a, main)).dataSync()))).toBeGreaterThan(1e-4);
        expect(Array.from(main.dataSync())).toEqual(Array.from(net.apply(x, { training: false }).dataSync()));
        for (const a of auxiliary) expect(Array.from(a.dataSync()).every(Number.isFinite)).toBe(true);
        const again = net.applyWithAuxiliary(x, { training: false, random: new SeededRandom(3) });
        again.auxiliary.forEach((a, i) => expect(Array.from(a.dataSync())).toEqual(Array.from(auxiliary[i].dataSync())));
      });
    });

    it('when the feature-drop decoder runs, should change its output only through the dropped positions', () => {
      // Two nets with the same weights: one auxiliary decoder perturbed by feature drop, one by feature noise of range 0
      // (no perturbation). Their auxiliary outputs differ only because positions of the deepest feature were zeroed.
      const dropped = make({ ...TINY, name: `drop_${backend}`, auxiliary: ['featureDrop'], random: new SeededRandom(12) });
      const intact = make({ ...TINY, name: `intact_${backend}`, auxiliary: ['featureNoise'], noiseRange: 0, random: new SeededRandom(12) });
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 32 * 32, 5), [2, 32, 32, 1]);
        const a = dropped.applyWithAuxiliary(x, { training: false, random: new SeededRandom(4) }).auxiliary[0];
        const b = intact.applyWithAuxiliary(x, { training: false, random: new SeededRandom(4) }).auxiliary[0];
        expect(Math.max(...Array.from(tf.abs(tf.sub(a, b)).dataSync()))).toBeGreaterThan(1e-4);
      });
    });

    it('when trained for 2 Adam steps on the consistency loss with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.2, 0.3] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () => tf.tidy(() => consistency(net.applyWithAuxiliary(tf.tensor4d(pseudoRandom(2 * 32 * 32, iteration), [2, 32, 32, 1]), { training: true, random: new SeededRandom(iteration) }))),
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

  describe.each(BACKENDS)('having a VAT auxiliary decoder on the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it("when trained for 2 Adam steps on the consistency loss, should give finite gradients reaching the VAT decoder and the encoder, and leave no tensor behind", () => {
      const net = make({ ...TINY, auxiliary: ['vat', 'featureNoise'], dropout: [0.1, 0.1, 0.2, 0.2, 0.3] });
      expect(net.vat).toEqual({ xi: 1e-6, eps: 2, iterations: 2 });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const outputs = net.applyWithAuxiliary(tf.tensor4d(pseudoRandom(2 * 16 * 32, iteration), [2, 16, 32, 1]), { training: true, random: new SeededRandom(iteration) });
              expect(outputs.auxiliary[0].shape).toEqual([2, 16, 32, 3]);
              expect(Math.max(...Array.from(tf.abs(tf.sub(outputs.auxiliary[0], outputs.main)).dataSync()))).toBeGreaterThan(1e-4);
              return consistency(outputs);
            }),
          net.trainableVariables as tf.Variable[],
        );
        for (const [name, g] of Object.entries(grads)) expect(g.dataSync().every(Number.isFinite), name).toBe(true);
        for (const path of ['aux0_vat1/conv1/kernel', 'aux0_vat/out/kernel', 'enc4/conv2/kernel']) {
          expect(Math.max(...Array.from(grads[`${net.name}/${path}`].dataSync(), Math.abs)), path).toBeGreaterThan(0);
        }
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('having a tiny net and a 2x32x32x1 input', () => {
    it('when the consistency loss is differentiated in training mode on cpu and on wasm, should give the same gradients', async () => {
      const xShape: [number, number, number, number] = [2, 32, 32, 1];
      const x = pseudoRandom(size(xShape), 21);
      const run = (net: CctUNet2D) => {
        const { value, grads } = tf.variableGrads(
          () => tf.tidy(() => consistency(net.applyWithAuxiliary(tf.tensor4d(x, xShape), { training: true, random: new SeededRandom(7) }))),
          net.trainableVariables as tf.Variable[],
        );
        value.dispose();
        const out = new Map(Object.entries(grads).map(([name, g]) => [name.slice(net.name.length + 1), g.dataSync() as Float32Array]));
        Object.values(grads).forEach((g) => g.dispose());
        return out;
      };
      await useBackend('cpu');
      const onCpu = run(make({ ...TINY, name: 'cct_cpu', random: new SeededRandom(5) }));
      await useBackend('wasm');
      const onWasm = run(make({ ...TINY, name: 'cct_wasm', random: new SeededRandom(5) }));
      for (const aux of ['aux0_dropout', 'aux1_featureDrop', 'aux2_featureNoise']) {
        expect(Math.max(...Array.from(onCpu.get(`${aux}1/conv1/kernel`)!, Math.abs)), aux).toBeGreaterThan(0);
      }
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
