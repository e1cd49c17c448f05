import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiDecoderUNet2D, multiDecoderUNet2DParams } from '../../src/networks/multi-decoder-unet2d.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { expectClose, pseudoRandom, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams, schemaIssues, type ParsedArgs } from './network-test-helpers.js';

/**
 * Trainable parameters derived from the architecture: UNet2D's encoder (per level a ConvBlock: two 3x3 convs with
 * biases and two batch norms) and one decoder per up mode — per level an upsampling from f[l+1] to f[l] channels (a
 * 1x1 conv f[l+1]·f[l] + f[l] for nearest/bilinear, a 2x2 transposed conv 4·f[l+1]·f[l] + f[l]) and a ConvBlock(2 f[l],
 * f[l]) — each with a 1x1 output conv.
 */
function expectedParameterCount(f: number[], inChannels: number, classes: number, upModes: string[]): number {
  const block = (cin: number, cout: number) => 9 * cin * cout + cout + 9 * cout * cout + cout + 4 * cout;
  let encoder = block(inChannels, f[0]);
  for (let l = 1; l < 5; l++) encoder += block(f[l - 1], f[l]);
  const decoder = (mode: string) => {
    let count = f[0] * classes + classes;
    for (let l = 0; l < 4; l++) count += (mode === 'transposed' ? 4 : 1) * f[l + 1] * f[l] + f[l] + block(2 * f[l], f[l]);
    return count;
  };
  return upModes.reduce((total, mode) => total + decoder(mode), encoder);
}

const TINY: ParsedArgs<typeof multiDecoderUNet2DParams> = { inChannels: 1, classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(8) };
const make = disposedAfterEach(parsingParams(multiDecoderUNet2DParams, (args) => new MultiDecoderUNet2D(args)));
const makeUNet = disposedAfterEach((name: string, upMode: 'transposed' | 'nearest' | 'bilinear') =>
  new UNet2D({ ...unet2dParams.parse({ classes: 3, features: [2, 4, 4, 6, 6], dropout: [0, 0, 0, 0, 0], upMode }), name }));

describe('MultiDecoderUNet2D', () => {
  beforeAll(() => useBackend('cpu'));

  describe("having PyMIC's MCNet2D configuration (16-256, 1 -> 2 classes, transposed, nearest, bilinear)", () => {
    it("should have the encoder and three decoders: 3,209,286 parameters (one bilinear decoder gives UNet2D's 1,813,218)", () => {
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, ['bilinear'])).toBe(1_813_218);
      expect(expectedParameterCount([16, 32, 64, 128, 256], 1, 2, ['transposed', 'nearest', 'bilinear'])).toBe(3_209_286);
      const net = make({ inChannels: 1, classes: 2 });
      expect(net.parameterCount()).toBe(3_209_286);
      expect(net.headNames).toEqual(['dec_a_transposed', 'dec_b_nearest', 'dec_c_bilinear']);
    });
  });

  describe('having a tiny net with three decoders and a 2x32x48x1 input', () => {
    it('should give each decoder the output of a UNet2D with that up mode and the same weights', () => {
      const net = make({ ...TINY, name: 'mdu_same' });
      const x = tf.tensor4d(pseudoRandom(2 * 32 * 48, 3), [2, 32, 48, 1]);
      const heads = net.applyHeads(x, { training: false });
      expect(heads.map((h) => h.shape)).toEqual([[2, 32, 48, 3], [2, 32, 48, 3], [2, 32, 48, 3]]);
      (['transposed', 'nearest', 'bilinear'] as const).forEach((mode, k) => {
        const unet = makeUNet(`mdu_unet_${mode}`, mode);
        const letter = 'abc'[k];
        // UNet2D's enc*/... are shared; its dec{l}/... and out/... are this decoder's dec_{letter}{l}/... and dec_{letter}/out/...
        const source = new Map(net.trainableVariables.concat(net.stateVariables).map((v) => [v.name.slice('mdu_same/'.length), v]));
        for (const v of [...unet.trainableVariables, ...unet.stateVariables]) {
          const path = v.name.slice(unet.name.length + 1);
          const mapped = path.startsWith('dec') ? path.replace(/^dec/, `dec_${letter}`) : path.startsWith('out/') ? path.replace(/^out/, `dec_${letter}/out`) : path;
          const from = source.get(mapped);
          expect(from, mapped).toBeDefined();
          v.assign(from!);
        }
        const expected = unet.apply(x, { training: false });
        expectClose(heads[k].dataSync(), expected.dataSync(), 1e-5);
        expected.dispose();
      });
      const spread = tf.tidy(() => tf.max(tf.abs(tf.sub(heads[0], heads[2]))).dataSync()[0]);
      expect(spread).toBeGreaterThan(1e-3);
      tf.dispose([x, ...heads]);
    });

    it("should apply() the first decoder by default and the mean of all with outputMode 'average'", () => {
      const first = make({ ...TINY, name: 'mdu_first' });
      const average = make({ ...TINY, name: 'mdu_average', outputMode: 'average', random: new SeededRandom(8) });
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(32 * 32, 4), [1, 32, 32, 1]);
        const heads = first.applyHeads(x, { training: false });
        expect(Array.from(first.apply(x, { training: false }).dataSync())).toEqual(Array.from(heads[0].dataSync()));
        const mean = tf.div(tf.addN(average.applyHeads(x, { training: false })), 3);
        expectClose(average.apply(x, { training: false }).dataSync(), mean.dataSync(), 1e-6);
      });
    });

    it('should draw the same encoder dropout for apply and applyHeads under the same randomness', () => {
      const net = make({ ...TINY, name: 'mdu_dropout', dropout: [0.2, 0.2, 0.3, 0.3, 0.5] });
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(32 * 32, 5), [1, 32, 32, 1]);
        const a = net.apply(x, { training: true, random: new SeededRandom(3) });
        const [b] = net.applyHeads(x, { training: true, random: new SeededRandom(3) });
        expectClose(a.dataSync(), b.dataSync(), 1e-6);
      });
    });

    it('when trained for 2 Adam steps on all heads with dropout, should leave no tensor behind', () => {
      const net = make({ ...TINY, name: 'mdu_leak', dropout: [0.1, 0.1, 0.2, 0.2, 0.3] });
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-3);
      for (let iteration = 0; iteration < 2; iteration++) {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const heads = net.applyHeads(tf.tensor4d(pseudoRandom(2 * 32 * 32, iteration), [2, 32, 32, 1]), { training: true, random: new SeededRandom(iteration) });
              return tf.addN(heads.map((h, k) => tf.mean(tf.square(tf.sub(h, k))))) as tf.Scalar;
            }),
          net.trainableVariables as tf.Variable[],
        );
        expect(Object.keys(grads).some((name) => name.includes('dec_c'))).toBe(true);
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('when given bad arguments', () => {
    it('should be rejected by the schema naming the key', () => {
      const issues = (params: object) => schemaIssues(multiDecoderUNet2DParams, { classes: 3, ...params });
      expect(issues({ upModes: ['bilinear'] })).toEqual([expect.stringMatching(/^upModes: .*>=2 items/)]);
      expect(issues({ upModes: ['bilinear', 'nearest', 'transposed', 'bilinear', 'nearest'] })).toEqual([expect.stringMatching(/^upModes: .*<=4 items/)]);
      expect(issues({ upModes: ['bilinear', 'bicubic'] })).toEqual([expect.stringMatching(/^upModes\.1: .*"transposed"\|"nearest"\|"bilinear"/)]);
      expect(issues({ outputMode: 'max' })).toEqual([expect.stringMatching(/^outputMode: .*"first"\|"average"/)]);
      expect(issues({ features: [2, 4, 4, 6] })).toEqual([expect.stringMatching(/^features: .*exactly 5 items/)]);
    });

    it('should reject an input whose size is not divisible by 16', () => {
      const net = make({ ...TINY, name: 'mdu_size' });
      expect(() => net.applyHeads(tf.zeros([1, 24, 32, 1]) as tf.Tensor4D, { training: false })).toThrow('height and width must be divisible by 16');
    });
  });
});
