import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMicflowError } from '../../src/errors/micflow-error.js';
import { UNet3DScSE, unet3dScSEParams } from '../../src/networks/unet3d-scse.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { BACKENDS, pseudoRandom, relativeError, size, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, projectedGradients, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

/**
 * Trainable parameters of PyMIC's UNet3D_ScSE, derived from the architecture: ConvScSEBlock3D(cin, cout) = two 3x3x3
 * convs with biases (27 cin cout + cout, 27 cout cout + cout) + two BatchNorm3d (2 cout each) + scSE(cout); scSE(c) =
 * channel SE (nn.Linear c -> c // 2 and c // 2 -> c with biases) + spatial SE (1x1x1 conv c -> 1 with bias). UpBlock:
 * a 1x1x1 conv (in1 in2 + in2) or a 2x2x2 transposed conv (8 in1 in2 + in2), then ConvScSEBlock3D(2 in2, in2).
 * Output: a 3x3x3 conv (27 f0 K + K).
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number, transposed = false): number {
  const scse = (c: number) => {
    const r = Math.floor(c / 2);
    return c * r + r + r * c + c + (c + 1);
  };
  const block = (cin: number, cout: number) => 27 * cin * cout + cout + 27 * cout * cout + cout + 4 * cout + scse(cout);
  let n = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) n += block(f[l - 1], f[l]);
  for (let l = 3; l >= 0; l--) n += (transposed ? 8 : 1) * f[l + 1] * f[l] + f[l] + block(2 * f[l], f[l]);
  return n + 27 * f[0] * classes + classes;
}

/** Records the labels every derived stream is asked for (dropout draws from random.derive(blockPath, 'dropout')). */
class RecordingRandom extends SeededRandom {
  readonly labels: string[] = [];
  override derive(...labels: Array<string | number>): SeededRandom {
    this.labels.push(labels.join('/'));
    return super.derive(...labels);
  }
}

const TINY: ParsedArgs<typeof unet3dScSEParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(unet3dScSEParams, (args) => new UNet3DScSE(args)));

describe('UNet3DScSE', () => {
  describe("having PyMIC's configurations", () => {
    beforeAll(() => useBackend('cpu'));

    // 5,454,971 and 627,387 are also what PyTorch 1.13 counts (sum of numel over parameters) for a re-creation of
    // PyMIC's UNet3D_ScSE modules (ConvScSEBlock3D with ChannelSpatialSELayer3D, DownBlock, UpBlock, 3x3x3 out_conv).
    it('with features 16-32-64-128-256, 1 input channel and 2 classes, should have 5,454,971 parameters', () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2)).toBe(5_454_971);
      const net = make({ inChannels: 1, classes: 2 });
      expect(net.parameterCount()).toBe(5_454_971);
      expect(net.stateVariables).toHaveLength(36); // 18 BatchNorm3d, running mean and variance each
    });
    it("with its example configuration (4 input channels, features 2-8-32-48-64, 2 classes), should have 627,387 parameters", () => {
      expect(expectedParameterCount([2, 8, 32, 48, 64], 4, 2)).toBe(627_387);
      expect(make({ inChannels: 4, classes: 2, features: [2, 8, 32, 48, 64] }).parameterCount()).toBe(627_387);
    });
    it('with transposed-conv up-sampling, should have the 2x2x2 kernels instead of the 1x1x1 convs', () => {
      expect(make({ inChannels: 1, classes: 2, upMode: 'transposed' }).parameterCount()).toBe(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, true));
    });
  });

  describe('having invalid arguments', () => {
    beforeAll(() => useBackend('cpu'));
    it('with a feature count of 1, should be rejected by the schema naming it (the channel SE would have no hidden unit)', () => {
      expect(schemaIssues(unet3dScSEParams, { inChannels: 1, classes: 2, features: [1, 2, 2, 2, 2] })).toEqual([expect.stringMatching(/^features\.0: .*>=2/)]);
    });
    it('with 4 levels, should be rejected by the schema naming features and dropout (PyMIC builds UNet3D_ScSE with 5)', () => {
      expect(schemaIssues(unet3dScSEParams, { inChannels: 1, classes: 2, features: [2, 4, 8, 16], dropout: [0, 0, 0, 0] })).toEqual([
        expect.stringMatching(/^features: .*exactly 5 items/),
        expect.stringMatching(/^dropout: .*exactly 5 items/),
      ]);
    });
  });

  describe.each(BACKENDS_HERE)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['trilinear', 'transposed'] as const)("having up mode '%s'", (upMode) => {
      it('when given a 1x16x48x16x1 input (48 = 3 x 16), should return 1x16x48x16x3 logits in training and inference', () => {
        const net = make({ ...TINY, upMode, dropout: [0.1, 0.1, 0.2, 0.3, 0.5] });
        tf.tidy(() => {
          const x = tf.tensor5d(pseudoRandom(16 * 48 * 16, 1), [1, 16, 48, 16, 1]);
          expect(net.applyVolume(x, { training: true, random: new SeededRandom(2) }).shape).toEqual([1, 16, 48, 16, 3]);
          expect(net.apply(x as tf.Tensor5D, { training: false }).shape).toEqual([1, 16, 48, 16, 3]);
        });
      });
    });

    it('when the size is not divisible by 16, should throw invalid-shape naming the size', () => {
      const net = make({ ...TINY });
      const x = tf.zeros([1, 16, 24, 16, 1]) as tf.Tensor5D;
      try {
        net.applyVolume(x, { training: false });
        expect.unreachable();
      } catch (error) {
        expect(isMicflowError(error) && error.kind).toBe('invalid-shape');
        expect(String(error)).toMatch(/UNet3DScSE .* input is 16x24x16; depth, height and width must be divisible by 16/);
      } finally {
        x.dispose();
      }
    });

    it('when given an NHWC image or the wrong channel count, should throw invalid-shape asking for NDHWC', () => {
      const net = make({ ...TINY });
      const image = tf.zeros([1, 16, 16, 1]) as unknown as tf.Tensor5D; // a 2D batch where a volume belongs
      const twoChannels = tf.zeros([1, 16, 16, 16, 2]) as tf.Tensor5D;
      expect(() => net.apply(image, { training: false })).toThrow(/needs NDHWC input with 1 channel\(s\), got shape \[1,16,16,1\]/);
      expect(() => net.applyVolume(twoChannels, { training: false })).toThrow(/needs NDHWC input with 1 channel\(s\), got shape \[1,16,16,16,2\]/);
      tf.dispose([image, twoChannels]);
    });
  });

  // Backward passes of 3D nets are slow on cpu and wasm (seconds for one 16^3 volume), so the cpu gradients are computed
  // once and every other backend is compared with them; the Adam steps run on the fastest backend here.
  describe('having a tiny net and a 1x16x16x16x1 input', () => {
    const xShape = [1, 16, 16, 16, 1];
    const x = pseudoRandom(size(xShape), 21);
    const projection = pseudoRandom(size(xShape) * 3, 22);
    let onCpu: Map<string, Float32Array> | undefined;
    const gradientsOn = async (backend: string) => {
      await useBackend(backend);
      const net = make({ ...TINY, name: `s3_${backend}`, random: new SeededRandom(5) });
      const before = tf.memory().numTensors;
      const grads = projectedGradients(net, x, xShape, projection, true);
      expect(tf.memory().numTensors).toBe(before);
      expect(grads.size).toBe(net.trainableVariables.length);
      for (const [name, g] of grads) expect(g.every(Number.isFinite), name).toBe(true);
      return grads;
    };

    it('when differentiated in training mode on cpu, should give every variable a finite gradient and leave no tensor', async () => {
      onCpu = await gradientsOn('cpu');
      expect([...onCpu.keys()]).toContain('dec4/cse/fc1/kernel');
      expect([...onCpu.keys()]).toContain('enc4/sse/conv/kernel');
      expect(Math.max(...[...onCpu.values()].map((g) => Math.max(...Array.from(g, Math.abs))))).toBeGreaterThan(0);
    });

    it.each(BACKENDS_HERE.filter((b) => b !== 'cpu'))(
      'when differentiated in training mode on %s, should give finite gradients equal to the cpu ones (SE weights included) and leave no tensor',
      async (backend) => {
        const reference = onCpu ?? (onCpu = await gradientsOn('cpu'));
        const other = await gradientsOn(backend);
        expect([...other.keys()]).toEqual([...reference.keys()]);
        // Conv biases before batch norm get ~0 gradient, so each error is scaled by max(own scale, 1% of the largest).
        const largest = Math.max(...[...reference.values()].map((g) => Math.max(...Array.from(g, Math.abs))));
        for (const [name, g] of reference) {
          const w = other.get(name)!;
          let worst = 0;
          let scale = 0.01 * largest;
          for (let i = 0; i < g.length; i++) {
            worst = Math.max(worst, Math.abs(w[i] - g[i]));
            scale = Math.max(scale, Math.abs(g[i]));
          }
          expect(worst / scale, name).toBeLessThan(1e-3);
        }
      },
    );

    it(`when trained for 2 Adam steps with dropout on ${BACKENDS_HERE[BACKENDS_HERE.length - 1]}, should leave no tensor behind`, async () => {
      await useBackend(BACKENDS_HERE[BACKENDS_HERE.length - 1]);
      const net = make({ ...TINY, dropout: [0.1, 0.1, 0.2, 0.3, 0.5], upMode: 'transposed' });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const volume = tf.tensor5d(pseudoRandom(16 * 16 * 16, iteration), [1, 16, 16, 16, 1]);
              return tf.mean(tf.square(net.applyVolume(volume, { training: true, random: new SeededRandom(iteration) }))) as tf.Scalar;
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

  describe('having dropout at one level only', () => {
    beforeAll(() => useBackend('cpu'));

    // PyMIC's UNet3D_ScSE passes dropout[3], [2], [1], [0] to up1..up4, unlike UNet3D's dropout-free decoder.
    it.each([
      [0, ['enc0/dropout', 'dec4/dropout']],
      [3, ['enc3/dropout', 'dec1/dropout']],
      [4, ['enc4/dropout']],
    ] as const)('at level %i, should draw dropout masks in that encoder block and the decoder block back to it', (level, expected) => {
      const rates = [0, 0, 0, 0, 0];
      rates[level] = 0.3;
      const net = make({ ...TINY, dropout: rates });
      const random = new RecordingRandom(4);
      tf.tidy(() => void net.applyVolume(tf.zeros([1, 16, 16, 16, 1]) as tf.Tensor5D, { training: true, random }));
      expect(random.labels).toEqual(expected);
    });
  });

  describe('having two networks built from the same seed', () => {
    beforeAll(() => useBackend('cpu'));
    it('should have identical weights; another seed should differ', () => {
      const a = make({ ...TINY, name: 's3a', random: new SeededRandom(3) });
      const b = make({ ...TINY, name: 's3b', random: new SeededRandom(3) });
      const c = make({ ...TINY, name: 's3c', random: new SeededRandom(4) });
      a.trainableVariables.forEach((v, i) => expect(Array.from(b.trainableVariables[i].dataSync())).toEqual(Array.from(v.dataSync())));
      expect(relativeError(c.trainableVariables[0].dataSync(), a.trainableVariables[0].dataSync())).toBeGreaterThan(1e-3);
    });
  });
});
