import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { NetworkState, TickContext } from '../../../src/graph/stage.js';
import type { NetworkApplyOptions, SegmentationNetwork } from '../../../src/networks/segmentation-network.js';
import { UNet2D, unet2dParams } from '../../../src/networks/unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { MonteCarloForward, predictiveEntropy } from '../../../src/stages/forward/monte-carlo-forward.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(MonteCarloForward, { nodeName: 'mc', params });
const tick = (seed: number): TickContext => ({ iteration: 1, iterations: 1, random: new SeededRandom(seed) });
const stateOf = (network: SegmentationNetwork): NetworkState => ({ node: 'teacher', network });

/** A two-class "network" with logits (x, 0) per pixel, which records every input it is given. */
class RecordingNetwork implements SegmentationNetwork {
  readonly className = 'Recording';
  readonly name = 'recording';
  readonly trainableVariables: tf.Variable[] = [];
  readonly stateVariables: tf.Variable[] = [];
  readonly seen: Float32Array[] = [];
  readonly randoms: Array<SeededRandom | undefined> = [];
  parameterCount(): number {
    return 0;
  }
  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    this.seen.push(Float32Array.from(x.dataSync()));
    this.randoms.push(opts.random);
    return tf.concat([x, tf.zerosLike(x)], 3) as tf.Tensor4D;
  }
  dispose(): void {}
}

const unet = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0.3, 0.3, 0.5] }), name: 'mc_unet', random: new SeededRandom(2) });
afterAll(() => unet.dispose());

describe('predictiveEntropy', () => {
  it('should give −Σ p log(p + 1e-6) per pixel: ln 2 (about) for (0.5, 0.5), 0 (about) for (1, 0)', () => {
    const h = Array.from(predictiveEntropy(tf.tensor2d([[0.5, 0.5], [1, 0], [0.2, 0.8]])).dataSync());
    expect(h[0]).toBeCloseTo(-Math.log(0.500001), 6);
    expect(h[1]).toBeCloseTo(-Math.log(1.000001), 6);
    expect(h[2]).toBeCloseTo(-(0.2 * Math.log(0.200001) + 0.8 * Math.log(0.800001)), 6);
  });
});

describe('MonteCarloForward', () => {
  describe('having a network with logits (x, 0), 4 passes and input noise N(0, 0.5²) clipped to ±0.2', () => {
    it('should average softmax over the 4 noisy inputs (each differently, within the clip) and give their entropy', () => {
      const network = new RecordingNetwork();
      const image = tf.tensor4d([0, 1, -2, 0.5], [1, 2, 2, 1]);
      const out = stageWith({ passes: 4, noiseStd: 0.5, noiseClip: 0.2 }).compute({ net: stateOf(network), image }, tick(3));
      expect(network.seen).toHaveLength(4);
      const clean = [0, 1, -2, 0.5];
      for (const seen of network.seen) seen.forEach((v, i) => expect(Math.abs(v - clean[i])).toBeLessThanOrEqual(0.2 + 1e-6));
      expect(network.seen[0]).not.toEqual(network.seen[1]);
      expect(network.randoms.every((r) => r !== undefined)).toBe(true);
      // By hand: softmax(x, 0) = (σ(x), 1 − σ(x)), averaged over the recorded inputs.
      const sigma = (v: number) => 1 / (1 + Math.exp(-v));
      const meanP0 = clean.map((_, i) => network.seen.reduce((s, seen) => s + sigma(seen[i]), 0) / 4);
      const got = Array.from(out.meanProb.dataSync());
      meanP0.forEach((p0, i) => {
        expect(got[2 * i]).toBeCloseTo(p0, 5);
        expect(got[2 * i + 1]).toBeCloseTo(1 - p0, 5);
      });
      const entropy = Array.from(out.entropy.dataSync());
      expect(out.entropy.shape).toEqual([1, 2, 2]);
      meanP0.forEach((p0, i) => expect(entropy[i]).toBeCloseTo(-(p0 * Math.log(p0 + 1e-6) + (1 - p0) * Math.log(1 - p0 + 1e-6)), 5));
      tf.dispose([image, ...Object.values(out)]);
    });

    it('should draw the same noise for the same tick randomness and other noise for another', () => {
      const first = new RecordingNetwork();
      const again = new RecordingNetwork();
      const other = new RecordingNetwork();
      const image = tf.zeros([1, 2, 2, 1]);
      for (const [network, seed] of [[first, 5], [again, 5], [other, 6]] as const) {
        tf.dispose(Object.values(stageWith({ passes: 2 }).compute({ net: stateOf(network), image }, tick(seed))));
      }
      expect(again.seen).toEqual(first.seen);
      expect(other.seen[0]).not.toEqual(first.seen[0]);
      image.dispose();
    });
  });

  describe('having a U-Net with dropout and no input noise', () => {
    const image = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    afterAll(() => image.dispose());

    it('with one pass in inference mode, should equal the softmax of the network output', () => {
      const out = stageWith({ passes: 1, noiseStd: 0, training: false }).compute({ net: stateOf(unet), image }, tick(1));
      const expected = tf.softmax(unet.apply(image, { training: false }));
      expect(tf.max(tf.abs(tf.sub(out.meanProb, expected))).dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([expected, ...Object.values(out)]);
    });

    it('with 6 training-mode passes, should differ from a single pass (dropout varies per pass) and keep the entropy in [0, ln 3]', () => {
      const one = stageWith({ passes: 1, noiseStd: 0 }).compute({ net: stateOf(unet), image }, tick(1));
      const six = stageWith({ passes: 6, noiseStd: 0 }).compute({ net: stateOf(unet), image }, tick(1));
      expect(tf.max(tf.abs(tf.sub(one.meanProb, six.meanProb))).dataSync()[0]).toBeGreaterThan(1e-4);
      const sums = tf.sum(six.meanProb, -1).dataSync();
      expect(Array.from(sums).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
      const entropy = Array.from(six.entropy.dataSync());
      expect(entropy.every((h) => h >= -1e-5 && h <= Math.log(3) + 1e-5)).toBe(true);
      tf.dispose([...Object.values(one), ...Object.values(six)]);
    });

    it('should block the gradient by default and pass it with stopGradient false', () => {
      for (const stopGradient of [true, false]) {
        const stage = stageWith({ passes: 2, noiseStd: 0.1, stopGradient });
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(stage.compute({ net: stateOf(unet), image: x }, tick(2)).meanProb, tf.tensor([1, 0, 0]))))(image);
        const norm = tf.sum(tf.abs(g)).dataSync()[0];
        if (stopGradient) expect(norm).toBe(0);
        else expect(norm).toBeGreaterThan(0);
        g.dispose();
      }
    });

    it('should leave no tensor behind when run inside a tidy scope', () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        stageWith({ passes: 3 }).compute({ net: stateOf(unet), image }, tick(9));
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('when the image is not a batch of images or volumes', () => {
    it('should throw naming the node and the shape', () => {
      expect(() => stageWith({}).compute({ net: stateOf(unet), image: tf.zeros([16, 16]) }, tick(1))).toThrow(
        'node "mc": image input has shape [16,16], expected [N, H, W, C] or [N, D, H, W, C]',
      );
    });
  });

  it('should be registered as a built-in stage', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'MonteCarloForward')).toEqual([MonteCarloForward]);
  });
});
