import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CANet, roundHalfToEven, canetParams } from '../../src/networks/canet.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [native.backendName] : [])];
const FAST_BACKEND = BACKENDS[BACKENDS.length - 1];

/**
 * Trainable parameters of PyMIC's CANet (pymic/net/net2d/unet2d_canet.py), written from its layer definitions:
 * conv_block = two 3x3 convs with bias + two BNs; UpCat = ConvTranspose2d(f[l+1], f[l], 2) with bias; SE_Conv_Block(in,
 * p) = bias-free 3x3 convs in -> p -> 2p -> p + three BNs + Linear(2p, round(p/2)) + Linear(round(p/2), 2p) + bias-free
 * 1x1 downchannel in -> 2p + BN; MultiAttentionBlock(C, G, C) = 2 x (W 1x1 C -> C + BN, theta 1x1 C -> C, phi 1x1 G -> C,
 * psi 1x1 C -> 1, all with bias) + 1x1 2C -> C + BN; NONLocalBlock2D(C, C/4) = g, theta, phi 1x1 C -> C/4 + W 1x1 C/4 -> C
 * + BN; dsv 1x1 f[l] -> s (s = 4 channels per scale; PyMIC's f0 // 2, equal for f0 = 8); scale_atten_convblock(4s, f0)
 * = bias-free 3x3 4s -> f0 + BN + Linear(4s, s) + Linear(s, 4s) + bias-free 3x3 4s -> 4 + BN + bias-free 1x1 4 -> 4;
 * final 1x1 f0 -> classes.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number): number {
  const conv = (cin: number, cout: number, k: number, bias = true) => k * k * cin * cout + (bias ? cout : 0);
  const linear = (i: number, o: number) => i * o + o;
  const convBlock = (cin: number, cout: number) => conv(cin, cout, 3) + 2 * cout + conv(cout, cout, 3) + 2 * cout;
  const seConvBlock = (cin: number, p: number) =>
    conv(cin, p, 3, false) + 2 * p + conv(p, 2 * p, 3, false) + 4 * p + conv(2 * p, p, 3, false) + 2 * p +
    linear(2 * p, roundHalfToEven(p / 2)) + linear(roundHalfToEven(p / 2), 2 * p) + conv(cin, 2 * p, 1, false) + 4 * p;
  const gate = (c: number, g: number) => conv(c, c, 1) + 2 * c + conv(c, c, 1) + conv(g, c, 1) + conv(c, 1, 1);
  const multiAttention = (c: number, g: number) => 2 * gate(c, g) + conv(2 * c, c, 1) + 2 * c;
  const nonLocal = (c: number) => 3 * conv(c, Math.floor(c / 4), 1) + conv(Math.floor(c / 4), c, 1) + 2 * c;
  const s = 4;
  let total = convBlock(inChannels, f[0]);
  for (let l = 1; l < 5; l++) total += convBlock(f[l - 1], f[l]);
  total += multiAttention(f[1], f[2]) + multiAttention(f[2], f[3]) + nonLocal(f[4]);
  for (let l = 0; l < 4; l++) total += 4 * f[l + 1] * f[l] + f[l] + seConvBlock(f[l + 1], f[l]);
  for (let l = 0; l < 4; l++) total += conv(f[l], s, 1);
  total += conv(4 * s, f[0], 3, false) + 2 * f[0] + linear(4 * s, s) + linear(s, 4 * s) + conv(4 * s, 4, 3, false) + 8 + conv(4, 4, 1, false);
  return total + conv(f[0], classes, 1);
}

const TINY: ParsedArgs<typeof canetParams> = { inChannels: 1, classes: 3, features: [2, 4, 8, 16, 32], channelDropout: 0, random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(canetParams, (args) => new CANet(args)));

describe('CANet', () => {
  describe("having PyMIC's configuration (its default feature_chns 32-64-128-256-512 / feature_scale 4 = 8-16-32-64-128)", () => {
    beforeAll(() => useBackend('cpu'));

    it("with 3 input channels and 2 classes (its __main__ example), should have PyMIC's parameter count 700,638; with 1 input channel 700,494", () => {
      // Both numbers were also counted by a separate script from the layer definitions of PyMIC's unet2d_canet.py
      // (CANet({'in_chns': 3, 'class_num': 2}) and in_chns 1).
      expect(expectedParameterCount([8, 16, 32, 64, 128], 3, 2)).toBe(700_638);
      expect(make({ inChannels: 3, classes: 2 }).parameterCount()).toBe(700_638);
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(700_494);
    });

    it('having the tiny 2-4-8-16-32 configuration, should have the count of the same formula (45,684)', () => {
      expect(make(TINY).parameterCount()).toBe(expectedParameterCount([2, 4, 8, 16, 32], 1, 3));
      expect(expectedParameterCount([2, 4, 8, 16, 32], 1, 3)).toBe(45_684);
    });

    it("should round the SE bottleneck p / 2 as Python's round does (halves to even)", () => {
      expect([0.5, 1, 1.5, 2.5, 3.5, 4].map(roundHalfToEven)).toEqual([0, 1, 2, 2, 4, 4]);
    });
  });

  describe('having invalid arguments', () => {
    it('when the features do not double from at least 2, should be rejected by the schema naming features', () => {
      expect(schemaIssues(canetParams, { classes: 3, features: [8, 16, 32, 64, 64] })).toEqual([
        expect.stringMatching(/^features: CANet features must double at every level from at least 2/),
      ]);
      expect(schemaIssues(canetParams, { classes: 3, features: [1, 2, 4, 8, 16] })).toEqual([expect.stringMatching(/^features\.0: .*>=2/)]);
      expect(schemaIssues(canetParams, { classes: 3, features: [8, 16, 32, 64] })).toEqual([expect.stringMatching(/^features: .*exactly 5 items/)]);
    });
    it('when channelDropout is outside [0, 1), should be rejected by the schema naming it', () => {
      expect(schemaIssues(canetParams, { classes: 3, channelDropout: 1 })).toEqual([expect.stringMatching(/^channelDropout: .*<1/)]);
      expect(schemaIssues(canetParams, { classes: 3, channelDropout: -0.1 })).toEqual([expect.stringMatching(/^channelDropout: .*>=0/)]);
    });
  });

  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('when given 2x48x32x1 and 1x16x32x1 inputs, should return logits of the same height and width with 3 classes', () => {
      const net = make(TINY);
      tf.tidy(() => {
        for (const [n, h, w] of [
          [2, 48, 32],
          [1, 16, 32],
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
      // The tiny net's finest SE bottleneck has round(2 / 2) = 1 ReLU unit, which some seeds leave dead on this input
      // (seed 8 does, zeroing dec4/fc1's gradient); seed 9 leaves every unit alive.
      const net = make({ ...TINY, random: new SeededRandom(9) });
      const xShape = [1, 16, 32, 1];
      const grads = projectedGradients(net, pseudoRandom(size(xShape), 3), xShape, pseudoRandom(16 * 32 * 3, 4));
      expect(grads.size).toBe(net.trainableVariables.length);
      for (const [name, g] of grads) {
        expect(Array.from(g).every(Number.isFinite), name).toBe(true);
        expect(Math.max(...Array.from(g, Math.abs)), name).toBeGreaterThan(0);
      }
    });

    it('when trained for 2 Adam steps with channel dropout, should leave no tensor behind, and training needs opts.random', () => {
      const net = make({ ...TINY, channelDropout: 0.5 });
      expect(() => tf.tidy(() => net.apply(tf.zeros([1, 16, 16, 1]) as tf.Tensor4D, { training: true }))).toThrow(/training with dropout needs opts.random/);
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const y = net.apply(tf.tensor4d(pseudoRandom(2 * 16 * 16, iteration), [2, 16, 16, 1]), { training: true, random: new SeededRandom(iteration) });
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

  describe('having a tiny net on the cpu backend', () => {
    beforeAll(() => useBackend('cpu'));

    it("when applied in inference mode, should equal a second implementation from tfjs's built-in kernels", () => {
      const net = make({ ...TINY, name: 'canet_ref', random: new SeededRandom(17) });
      const variables = new Map([...net.trainableVariables, ...net.stateVariables].map((v) => [v.name.slice(net.name.length + 1), v as tf.Tensor]));
      const v = (path: string) => {
        const found = variables.get(path);
        if (found === undefined) throw new Error(`no variable ${path}`);
        return found;
      };
      const conv = (x: tf.Tensor4D, path: string) => tf.add(tf.conv2d(x, v(`${path}/kernel`) as tf.Tensor4D, 1, 'same'), v(`${path}/bias`)) as tf.Tensor4D;
      const convNoBias = (x: tf.Tensor4D, path: string) => tf.conv2d(x, v(`${path}/kernel`) as tf.Tensor4D, 1, 'same');
      const dense = (x: tf.Tensor, path: string) => tf.add(tf.matMul(x as tf.Tensor2D, v(`${path}/kernel`) as tf.Tensor2D), v(`${path}/bias`)) as tf.Tensor2D;
      const bn = (x: tf.Tensor4D, path: string) =>
        tf.add(tf.mul(tf.div(tf.sub(x, v(`${path}/running_mean`)), tf.sqrt(tf.add(v(`${path}/running_var`), 1e-5))), v(`${path}/gamma`)), v(`${path}/beta`)) as tf.Tensor4D;
      const resize = (x: tf.Tensor4D, h: number, w: number) => tf.image.resizeBilinear(x, [h, w], false, true);
      const upT = (x: tf.Tensor4D, path: string) => {
        const kernel = v(`${path}/kernel`) as tf.Tensor4D;
        return tf.add(tf.conv2dTranspose(x, kernel, [x.shape[0], 2 * x.shape[1], 2 * x.shape[2], kernel.shape[2]], 2, 'valid'), v(`${path}/bias`)) as tf.Tensor4D;
      };
      const seConv = (x: tf.Tensor4D, path: string) => {
        const o = bn(convNoBias(tf.relu(bn(convNoBias(x, `${path}/conv1`), `${path}/bn1`)), `${path}/conv2`), `${path}/bn2`);
        const mlp = (pooled: tf.Tensor) => tf.sigmoid(dense(tf.relu(dense(pooled, `${path}/fc1`)), `${path}/fc2`));
        const avg = tf.reshape(mlp(tf.mean(o, [1, 2])), [o.shape[0], 1, 1, o.shape[3]]);
        const max = tf.reshape(mlp(tf.max(o, [1, 2])), [o.shape[0], 1, 1, o.shape[3]]);
        const residual = bn(convNoBias(x, `${path}/downchannel`), `${path}/downchannel_bn`);
        const summed = tf.relu(tf.add(tf.add(tf.mul(avg, o), tf.mul(max, o)), residual)) as tf.Tensor4D;
        return tf.relu(bn(convNoBias(summed, `${path}/conv3`), `${path}/bn3`));
      };
      const gridGate = (x: tf.Tensor4D, g: tf.Tensor4D, path: string) => {
        const phi = resize(conv(g, `${path}/phi`), x.shape[1], x.shape[2]);
        const att = tf.sigmoid(conv(tf.relu(tf.add(conv(x, `${path}/theta`), phi)) as tf.Tensor4D, `${path}/psi`));
        return bn(conv(tf.mul(att, x) as tf.Tensor4D, `${path}/w`), `${path}/w_bn`);
      };
      const multi = (x: tf.Tensor4D, g: tf.Tensor4D, path: string) =>
        tf.relu(bn(conv(tf.concat([gridGate(x, g, `${path}/gate1`), gridGate(x, g, `${path}/gate2`)], 3) as tf.Tensor4D, `${path}/combine`), `${path}/combine_bn`));
      const nonLocal = (x: tf.Tensor4D) => {
        const [n, h, w, c] = x.shape;
        const inter = c / 4;
        const g = tf.reshape(tf.maxPool(conv(x, 'nonlocal/g'), 2, 2, 'valid'), [n, (h * w) / 4, inter]);
        const theta = tf.reshape(conv(x, 'nonlocal/theta'), [n, h * w, inter]);
        const phi = tf.reshape(tf.maxPool(conv(x, 'nonlocal/phi'), 2, 2, 'valid'), [n, (h * w) / 4, inter]);
        const y = tf.reshape(tf.matMul(tf.softmax(tf.matMul(theta, phi, false, true)), g), [n, h, w, inter]) as tf.Tensor4D;
        return tf.add(bn(conv(y, 'nonlocal/w'), 'nonlocal/w_bn'), x) as tf.Tensor4D;
      };
      const block = (x: tf.Tensor4D, path: string) => tf.relu(bn(conv(tf.relu(bn(conv(x, `${path}/conv1`), `${path}/bn1`)), `${path}/conv2`), `${path}/bn2`));
      tf.tidy(() => {
        net.apply(tf.tensor4d(pseudoRandom(2 * 32 * 16, 11), [2, 32, 16, 1]), { training: true }); // non-trivial running statistics
        const x = tf.tensor4d(pseudoRandom(2 * 32 * 16, 10), [2, 32, 16, 1]);
        const c0 = block(x, 'enc0');
        const c1 = block(tf.maxPool(c0, 2, 2, 'valid'), 'enc1');
        const c2 = block(tf.maxPool(c1, 2, 2, 'valid'), 'enc2');
        const c3 = block(tf.maxPool(c2, 2, 2, 'valid'), 'enc3');
        const center = block(tf.maxPool(c3, 2, 2, 'valid'), 'enc4');
        const up4 = seConv(nonLocal(tf.concat([c3, upT(center, 'dec1/up')], 3) as tf.Tensor4D), 'dec1');
        const up3 = seConv(tf.concat([multi(c2, up4, 'att2'), upT(up4, 'dec2/up')], 3) as tf.Tensor4D, 'dec2');
        const up2 = seConv(tf.concat([multi(c1, up3, 'att1'), upT(up3, 'dec3/up')], 3) as tf.Tensor4D, 'dec3');
        const up1 = seConv(tf.concat([c0, upT(up2, 'dec4/up')], 3) as tf.Tensor4D, 'dec4');
        const [n, h, w] = [2, 32, 16];
        const cat = tf.concat([conv(up1, 'dsv0'), resize(conv(up2, 'dsv1'), h, w), resize(conv(up3, 'dsv2'), h, w), resize(conv(up4, 'dsv3'), h, w)], 3) as tf.Tensor4D;
        // Scale attention, written with explicit loops over the 4 scales x 4 channels.
        const mlp = (pooled: tf.Tensor) => dense(tf.relu(dense(pooled, 'scale_att/fc1')), 'scale_att/fc2');
        const raw = tf.add(mlp(tf.mean(cat, [1, 2])), mlp(tf.max(cat, [1, 2]))).arraySync() as number[][];
        const channelScale = raw.map((row) => Array.from({ length: 16 }, (_, k) => 1 / (1 + Math.exp(-(row.slice(4 * Math.floor(k / 4), 4 * Math.floor(k / 4) + 4).reduce((a, b) => a + b) / 4)))));
        const scaled = tf.mul(cat, tf.tensor(channelScale.flat(), [n, 1, 1, 16])) as tf.Tensor4D;
        const maps = tf.sigmoid(tf.relu(convNoBias(tf.relu(bn(convNoBias(scaled, 'scale_att/spatial_conv1'), 'scale_att/spatial_bn')) as tf.Tensor4D, 'scale_att/spatial_conv2')));
        const spatial = tf.concat([0, 1, 2, 3].map((s) => tf.tile(tf.slice(maps, [0, 0, 0, s], [n, h, w, 1]), [1, 1, 1, 4])), 3);
        const attended = tf.relu(tf.add(tf.add(tf.mul(scaled, spatial), scaled), cat)) as tf.Tensor4D;
        const expected = conv(tf.relu(bn(convNoBias(attended, 'scale_att/conv3'), 'scale_att/bn3')), 'out');
        const actual = net.apply(x, { training: false });
        expect(actual.shape).toEqual(expected.shape);
        const scale = Math.max(...Array.from(expected.dataSync(), Math.abs));
        expect(Math.max(...Array.from(tf.abs(tf.sub(actual, expected)).dataSync())) / scale).toBeLessThan(1e-5);
      });
    });

    it('when weights of the attention blocks are nudged in training mode, should change the loss as the gradient predicts', async () => {
      // On the fastest backend here (native when built, else wasm): 40 forward passes.
      await useBackend(FAST_BACKEND);
      // Training mode (batch statistics, no dropout: deterministic): at initialisation the inference-mode gradients of
      // the attention gates are ~1e-6, below float32 finite differences. A 32x32 input leaves the non-local block 4
      // pooled key positions (with 1 its softmax is constant and theta/phi get no gradient).
      const net = make({ ...TINY, name: 'canet_fd', random: new SeededRandom(21) });
      const xShape = [1, 32, 32, 1];
      const x = pseudoRandom(size(xShape), 5);
      const projection = pseudoRandom(32 * 32 * 3, 6);
      const loss = () =>
        tf.tidy(() => tf.sum(tf.mul(net.apply(tf.tensor4d(x, xShape as never), { training: true }), tf.tensor(projection, [1, 32, 32, 3]))).dataSync()[0]);
      const grads = projectedGradients(net, x, xShape, projection, true);
      const eps = 1e-3;
      const paths = [
        'nonlocal/theta/kernel',
        'nonlocal/phi/kernel',
        'att2/gate1/psi/kernel',
        'att1/gate2/phi/kernel',
        'att1/gate1/theta/kernel',
        'dec2/fc1/kernel',
        'dec3/downchannel/kernel',
        'scale_att/fc2/bias',
        'scale_att/spatial_conv1/kernel',
        'dsv3/kernel',
      ];
      for (const path of paths) {
        const variable = net.trainableVariables.find((t) => t.name === `${net.name}/${path}`)!;
        const original = variable.dataSync().slice() as Float32Array;
        const g = grads.get(path)!;
        const largest = Array.from(g, Math.abs).reduce((best, value, i, all) => (value > all[best] ? i : best), 0);
        expect(Math.abs(g[largest]), path).toBeGreaterThan(1e-2);
        for (const k of [largest, Math.floor(g.length / 2)]) {
          const nudged = (delta: number) => {
            const values = original.slice();
            values[k] += delta;
            variable.assign(tf.tensor(values, variable.shape));
            return loss();
          };
          const numeric = (nudged(eps) - nudged(-eps)) / (2 * eps);
          variable.assign(tf.tensor(original, variable.shape));
          expect(Math.abs(numeric - g[k]), `${path}[${k}]: ${g[k]} vs ${numeric}`).toBeLessThan(0.05 * Math.abs(g[largest]) + 1e-2);
        }
      }
      await useBackend('cpu');
    });

    it('when run on every backend, should give the same logits as on cpu', async () => {
      const x = pseudoRandom(2 * 32 * 16, 9);
      const outputs: Float32Array[] = [];
      for (const backend of BACKENDS) {
        await useBackend(backend);
        const net = make({ ...TINY, name: `canet_${backend}`, random: new SeededRandom(13) });
        outputs.push(tf.tidy(() => net.apply(tf.tensor4d(x, [2, 32, 16, 1]), { training: true }).dataSync() as Float32Array));
      }
      await useBackend('cpu');
      const scale = Math.max(...Array.from(outputs[0], Math.abs));
      for (const out of outputs.slice(1)) expect(Math.max(...out.map((v, i) => Math.abs(v - outputs[0][i]))) / scale).toBeLessThan(1e-4);
    });
  });
});
