import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { COPLENet, coplenetParams } from '../../src/networks/coplenet.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [native.backendName] : [])];

/**
 * Trainable parameters of PyMIC's COPLENet (pymic/net/net2d/cople_net.py), written from its layer definitions
 * (Conv2d weight + bias, BatchNorm2d weight + bias): ConvBNActBlock = two 3x3 convs + two BNs + SEBlock (1x1 convs
 * C -> C/2 -> C); DownBlock reads 2 x f[l-1]; ConvLayer bridges 1x1 f -> f/2 + BN; UpBlock = 1x1 conv (or 2x2 transposed
 * conv) f[l+1] -> f[l]/2 + ConvBNActBlock(f[l], f[l]); ASPP = 1x1 + three 3x3 convs f4 -> f4/4, 1x1 conv f4 -> f4 + BN;
 * a 3x3 output conv.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number, upMode: 'bilinear' | 'transposed'): number {
  const conv = (cin: number, cout: number, k: number) => k * k * cin * cout + cout;
  const se = (c: number) => conv(c, Math.floor(c / 2), 1) + conv(Math.floor(c / 2), c, 1);
  const block = (cin: number, cout: number) => conv(cin, cout, 3) + 2 * cout + conv(cout, cout, 3) + 2 * cout + se(cout);
  let total = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) total += block(2 * f[l - 1], f[l]);
  for (let l = 0; l < 4; l++) total += conv(f[l], f[l] / 2, 1) + f[l];
  for (let l = 0; l < 4; l++) total += (upMode === 'transposed' ? 4 * f[l + 1] * (f[l] / 2) + f[l] / 2 : conv(f[l + 1], f[l] / 2, 1)) + block(f[l], f[l]);
  const q = f[4] / 4;
  total += conv(f[4], q, 1) + 3 * conv(f[4], q, 3) + conv(f[4], f[4], 1) + 2 * f[4];
  return total + conv(f[0], classes, 3);
}

const TINY: ParsedArgs<typeof coplenetParams> = { inChannels: 1, classes: 3, features: [2, 4, 8, 16, 32], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(coplenetParams, (args) => new COPLENet(args)));

describe('COPLENet', () => {
  describe("having PyMIC's documented configuration (features 16-32-64-128-256, 1 input channel, 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));

    it("should have PyMIC's parameter count: 2,634,146 with bilinear up-sampling, 2,699,426 with transposed convs", () => {
      // Both numbers were also counted by a separate script from the layer definitions of PyMIC's cople_net.py
      // (COPLENet(params) with in_chns 1, feature_chns [16, 32, 64, 128, 256], class_num 2; bilinear True / False).
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, 'bilinear')).toBe(2_634_146);
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, 'transposed')).toBe(2_699_426);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(2_634_146);
      expect(make({ inChannels: 1, classes: 2, upMode: 'transposed' }).parameterCount()).toBe(2_699_426);
    });

    it('having the tiny 2-4-8-16-32 configuration, should have the count of the same formula (41,995)', () => {
      expect(make(TINY).parameterCount()).toBe(expectedParameterCount([2, 4, 8, 16, 32], 1, 3, 'bilinear'));
      expect(expectedParameterCount([2, 4, 8, 16, 32], 1, 3, 'bilinear')).toBe(41_995);
    });
  });

  describe('having invalid arguments', () => {
    it('when the features do not double from an even count, should be rejected by the schema naming features', () => {
      const notDoubling = /^features: COPLENet features must be an even count doubling at every level/;
      expect(schemaIssues(coplenetParams, { classes: 3, features: [4, 8, 16, 32, 48] })).toEqual([expect.stringMatching(notDoubling)]);
      expect(schemaIssues(coplenetParams, { classes: 3, features: [3, 6, 12, 24, 48] })).toEqual([expect.stringMatching(notDoubling)]);
      expect(schemaIssues(coplenetParams, { classes: 3, features: [2, 4, 8, 16] })).toEqual([expect.stringMatching(/^features: .*exactly 5 items/)]);
    });
    it('when upMode is unknown, should be rejected by the schema naming it', () => {
      expect(schemaIssues(coplenetParams, { classes: 3, upMode: 'bicubic' })).toEqual([expect.stringMatching(/^upMode: /)]);
    });
  });

  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('when given 2x48x80x1 and 1x32x16x1 inputs, should return logits of the same height and width with 3 classes', () => {
      const net = make(TINY);
      tf.tidy(() => {
        for (const [n, h, w] of [
          [2, 48, 80],
          [1, 32, 16],
        ]) {
          const x = tf.tensor4d(pseudoRandom(n * h * w, h), [n, h, w, 1]);
          for (const training of [false, true]) {
            const y = net.apply(x, { training });
            expect(y.shape).toEqual([n, h, w, 3]);
            expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
          }
        }
      });
    });

    it('when the height or width is not a multiple of 16 (24x40, 35x29), should throw a MicflowError saying so', () => {
      const net = make(TINY);
      for (const [h, w] of [
        [24, 40],
        [35, 29],
      ]) {
        expect(() => tf.tidy(() => net.apply(tf.zeros([1, h, w, 1]) as tf.Tensor4D, { training: false }))).toThrow(
          new RegExp(`input is ${h}x${w}; height and width must be divisible by 16`),
        );
      }
    });

    it('when differentiated in training mode, should give every trainable variable a finite, non-zero gradient', () => {
      const net = make(TINY);
      const xShape = [2, 32, 48, 1];
      const x = pseudoRandom(size(xShape), 3);
      const grads = projectedGradients(net, x, xShape, pseudoRandom(2 * 32 * 48 * 3, 4));
      expect(grads.size).toBe(net.trainableVariables.length);
      for (const [name, g] of grads) {
        expect(Array.from(g).every(Number.isFinite), name).toBe(true);
        expect(Math.max(...Array.from(g, Math.abs)), name).toBeGreaterThan(0);
      }
    });

    it('when trained for 2 Adam steps with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, dropout: [0.05, 0.1, 0.2, 0.3, 0.5] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const y = net.apply(tf.tensor4d(pseudoRandom(2 * 16 * 32, iteration), [2, 16, 32, 1]), { training: true, random: new SeededRandom(iteration) });
              return tf.mean(tf.square(y)) as tf.Scalar;
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

  describe('having a tiny net in inference mode on the cpu backend', () => {
    beforeAll(() => useBackend('cpu'));

    it('when weights of the ASPP, SE, bridge, up-sampling and output layers are nudged, should change the loss as the gradient predicts', () => {
      const net = make({ ...TINY, name: 'coplenet_fd', random: new SeededRandom(21) });
      const xShape = [1, 16, 16, 1];
      const x = pseudoRandom(size(xShape), 5);
      const projection = pseudoRandom(16 * 16 * 3, 6);
      const loss = () =>
        tf.tidy(() => tf.sum(tf.mul(net.apply(tf.tensor4d(x, xShape as never), { training: false }), tf.tensor(projection, [1, 16, 16, 3]))).dataSync()[0]);
      const grads = projectedGradients(net, x, xShape, projection, false);
      const eps = 1e-2;
      for (const path of ['aspp/branch4/kernel', 'aspp/fuse/kernel', 'enc2/se/excite/kernel', 'enc3/se/squeeze/bias', 'bridge1/conv/kernel', 'dec2/up/kernel', 'dec4/conv2/kernel', 'out/kernel']) {
        const variable = net.trainableVariables.find((v) => v.name === `${net.name}/${path}`)!;
        const original = variable.dataSync().slice() as Float32Array;
        const g = grads.get(path)!;
        // The entry with the largest gradient and one more, spread out.
        const largest = Array.from(g, Math.abs).reduce((best, v, i, all) => (v > all[best] ? i : best), 0);
        expect(Math.abs(g[largest]), path).toBeGreaterThan(5e-4);
        for (const k of [largest, Math.floor(g.length / 2)]) {
          const nudged = (delta: number) => {
            const values = original.slice();
            values[k] += delta;
            variable.assign(tf.tensor(values, variable.shape));
            return loss();
          };
          const numeric = (nudged(eps) - nudged(-eps)) / (2 * eps);
          variable.assign(tf.tensor(original, variable.shape));
          // float32 central differences of a loss of size ~10 carry ~1e-4 of noise at this step.
          expect(Math.abs(numeric - g[k]), `${path}[${k}]`).toBeLessThan(0.05 * Math.abs(g[largest]) + 1e-4);
        }
      }
    });

    it("when applied in inference mode, should equal a second implementation from tfjs's built-in kernels", () => {
      const net = make({ ...TINY, name: 'coplenet_ref', random: new SeededRandom(17) });
      const variables = new Map([...net.trainableVariables, ...net.stateVariables].map((v) => [v.name.slice(net.name.length + 1), v as tf.Tensor]));
      const v = (path: string) => variables.get(path)!;
      const conv = (x: tf.Tensor4D, path: string, dilation = 1) => tf.add(tf.conv2d(x, v(`${path}/kernel`) as tf.Tensor4D, 1, 'same', 'NHWC', dilation), v(`${path}/bias`)) as tf.Tensor4D;
      const dense = (x: tf.Tensor2D, path: string) => tf.add(tf.matMul(x, v(`${path}/kernel`) as tf.Tensor2D), v(`${path}/bias`)) as tf.Tensor2D;
      const bn = (x: tf.Tensor4D, path: string) =>
        tf.add(tf.mul(tf.div(tf.sub(x, v(`${path}/running_mean`)), tf.sqrt(tf.add(v(`${path}/running_var`), 1e-5))), v(`${path}/gamma`)), v(`${path}/beta`)) as tf.Tensor4D;
      const lrelu = (x: tf.Tensor4D) => tf.leakyRelu(x, 0.01);
      const seBlock = (x: tf.Tensor4D, path: string) => {
        const h = lrelu(bn(conv(lrelu(bn(conv(x, `${path}/conv1`), `${path}/bn1`)), `${path}/conv2`), `${path}/bn2`));
        const f = tf.relu(dense(tf.leakyRelu(dense(tf.mean(h, [1, 2]) as tf.Tensor2D, `${path}/se/squeeze`), 0.01), `${path}/se/excite`));
        return tf.add(tf.mul(h, tf.reshape(f, [h.shape[0], 1, 1, h.shape[3]])), h) as tf.Tensor4D;
      };
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 32 * 16, 10), [2, 32, 16, 1]);
        net.apply(tf.tensor4d(pseudoRandom(2 * 32 * 16, 11), [2, 32, 16, 1]), { training: true }); // non-trivial running statistics
        let h = seBlock(x, 'enc0');
        const bridges = [lrelu(bn(conv(h, 'bridge0/conv'), 'bridge0/bn'))];
        for (let l = 1; l < 5; l++) {
          const pooled = tf.concat([tf.maxPool(h, 2, 2, 'valid'), tf.avgPool(h, 2, 2, 'valid')], 3) as tf.Tensor4D;
          h = tf.add(seBlock(pooled, `enc${l}`), pooled) as tf.Tensor4D;
          if (l < 4) bridges.push(lrelu(bn(conv(h, `bridge${l}/conv`), `bridge${l}/bn`)));
        }
        const aspp = tf.concat([conv(h, 'aspp/branch1'), conv(h, 'aspp/branch2', 2), conv(h, 'aspp/branch3', 4), conv(h, 'aspp/branch4', 6)], 3) as tf.Tensor4D;
        h = lrelu(bn(conv(aspp, 'aspp/fuse'), 'aspp/bn'));
        for (let k = 1; k <= 4; k++) {
          const up = tf.image.resizeBilinear(conv(h, `dec${k}/up`), [2 * h.shape[1], 2 * h.shape[2]], true);
          const joined = tf.concat([bridges[4 - k], up], 3) as tf.Tensor4D;
          h = tf.add(seBlock(joined, `dec${k}`), joined) as tf.Tensor4D;
        }
        const expected = conv(h, 'out');
        const actual = net.apply(x, { training: false });
        expect(actual.shape).toEqual(expected.shape);
        const scale = Math.max(...Array.from(expected.dataSync(), Math.abs));
        expect(Math.max(...Array.from(tf.abs(tf.sub(actual, expected)).dataSync())) / scale).toBeLessThan(1e-5);
      });
    });

    it('when run on every backend, should give the same logits as on cpu', async () => {
      const x = pseudoRandom(2 * 32 * 16, 9);
      const outputs: Float32Array[] = [];
      for (const backend of BACKENDS) {
        await useBackend(backend);
        const net = make({ ...TINY, name: `coplenet_${backend}`, random: new SeededRandom(13) });
        outputs.push(tf.tidy(() => net.apply(tf.tensor4d(x, [2, 32, 16, 1]), { training: true }).dataSync() as Float32Array));
      }
      await useBackend('cpu');
      const scale = Math.max(...Array.from(outputs[0], Math.abs));
      for (const out of outputs.slice(1)) expect(Math.max(...out.map((v, i) => Math.abs(v - outputs[0][i]))) / scale).toBeLessThan(1e-4);
    });
  });
});
