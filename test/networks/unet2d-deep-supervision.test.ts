import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { deepSupervisionLoss } from '../../src/losses/deep-supervision-loss.js';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { oneHotLabels } from '../../src/losses/one-hot.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandom, useBackend } from '../runtime/ops/op-test-helpers.js';
import { disposedAfterEach, parsingParams } from './network-test-helpers.js';

const make = disposedAfterEach(parsingParams(unet2dParams, (args) => new UNet2D(args)));

describe('UNet2D with deep supervision', () => {
  describe("having PyMIC's configuration (16-32-64-128-256, 1 -> 2 classes)", () => {
    beforeAll(() => useBackend('cpu'));
    it('should add three 1x1 heads on 32, 64 and 128 channels: 1,813,218 + 66 + 130 + 258 = 1,813,672 parameters', () => {
      expect(make({ inChannels: 1, classes: 2 }).parameterCount()).toBe(1_813_218);
      expect(make({ inChannels: 1, classes: 2, deepSupervision: true }).parameterCount()).toBe(1_813_672);
    });
  });

  describe.each(['cpu', 'wasm'])('having the %s backend and a tiny net', (backend) => {
    beforeAll(() => useBackend(backend));
    const tiny = { inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0, 0, 0], random: new SeededRandom(3), deepSupervision: true };

    it('when given a 2x48x80x1 input, should return logits at full, 1/2, 1/4 and 1/8 resolution, the first equal to apply()', () => {
      const net = make(tiny);
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 48 * 80, 1), [2, 48, 80, 1]);
        const outputs = net.applyMultiscale(x, { training: false });
        expect(outputs.map((o) => o.shape)).toEqual([
          [2, 48, 80, 3],
          [2, 24, 40, 3],
          [2, 12, 20, 3],
          [2, 6, 10, 3],
        ]);
        expect(Array.from(outputs[0].dataSync())).toEqual(Array.from(net.apply(x, { training: false }).dataSync()));
      });
    });

    it('with 4 levels, should read the bottleneck for the coarsest head', () => {
      const net = make({ ...tiny, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0] });
      const shapes = tf.tidy(() => net.applyMultiscale(tf.zeros([1, 16, 16, 1]) as tf.Tensor4D, { training: false }).map((o) => o.shape));
      expect(shapes).toEqual([
        [1, 16, 16, 3],
        [1, 8, 8, 3],
        [1, 4, 4, 3],
        [1, 2, 2, 3],
      ]);
    });

    it('when trained with the deep-supervision Dice loss, should give every head a gradient and leave no tensor behind', () => {
      const net = make(tiny);
      const labels = oneHotLabels(tf.tensor(Array.from({ length: 2 * 32 * 32 }, (_, i) => (i >> 4) % 3), [2, 32, 32], 'int32'), 3);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const outputs = net.applyMultiscale(tf.tensor4d(pseudoRandom(2 * 32 * 32, 2), [2, 32, 32, 1]), { training: true });
            return deepSupervisionLoss(outputs, labels, (p, y, w) => diceLoss(tf.softmax(p), y, w), { mode: 'upsample-prediction' });
          }),
        net.trainableVariables,
      );
      for (const head of ['deep1', 'deep2', 'deep3']) {
        const g = grads[`${net.name}/${head}/kernel`];
        expect(Math.max(...Array.from(g.dataSync(), Math.abs)), head).toBeGreaterThan(0);
      }
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      expect(tf.memory().numTensors).toBe(before);
      labels.dispose();
    });
  });
});
