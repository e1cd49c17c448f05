import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { multiscaleAverageLogits } from '../../src/inference/multiscale-average-logits.js';
import { networkLogits } from '../../src/inference/network-logits.js';
import { predictSlidingWindow } from '../../src/inference/sliding-window-inference.js';
import { predictWholeImageProbabilities } from '../../src/inference/whole-image-inference.js';
import type { SegmentationNetwork } from '../../src/networks/segmentation-network.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { UNet3D, unet3dParams } from '../../src/networks/unet3d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { resampleAffine, resizeAffine } from '../../src/images/interpolation.js';
import { pseudoRandomValues } from './inference-test-networks.js';
import { PointwiseNetwork } from './pointwise-network-stage.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A deeply supervised toy (2D, one channel, two classes): full-resolution logits [x, −x] and half-resolution logits
 * [3m, −3m] where m is the mean of x over each 2×2 block.
 */
class TwoScaleNetwork implements SegmentationNetwork {
  readonly className = 'TwoScaleNetwork';
  readonly name = 'two-scale';
  readonly trainableVariables: tf.Variable[] = [];
  readonly stateVariables: tf.Variable[] = [];
  parameterCount(): number {
    return 0;
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.concat([x, tf.neg(x)], 3);
  }
  applyMultiscale(x: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const [n, h, w] = x.shape;
      const block = tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, 1]), [2, 4]) as tf.Tensor4D;
      return [tf.concat([x, tf.neg(x)], 3), tf.concat([tf.mul(block, 3), tf.mul(block, -3)], 3)] as tf.Tensor4D[];
    });
  }
  dispose(): void {}
}

function softmax(logits: number[]): number[] {
  const e = logits.map((l) => Math.exp(l));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Independent ×2 linear upsampling along one axis, half-pixel centres, edges clamped: 2k reads k − ¼, 2k + 1 reads k + ¼. */
function upsampleTwice(values: readonly number[]): number[] {
  const at = (i: number) => values[Math.min(values.length - 1, Math.max(0, i))];
  return values.flatMap((v, k) => [0.75 * v + 0.25 * at(k - 1), 0.75 * v + 0.25 * at(k + 1)]);
}

/** The two-scale toy's averaged probabilities on an h×w image, by hand: [p(x), p(upsampled m)] averaged. */
function twoScaleReference(x: readonly number[], h: number, w: number): number[] {
  const blocks = Array.from({ length: h / 2 }, (_, r) =>
    Array.from({ length: w / 2 }, (_, c) => (x[2 * r * w + 2 * c] + x[2 * r * w + 2 * c + 1] + x[(2 * r + 1) * w + 2 * c] + x[(2 * r + 1) * w + 2 * c + 1]) / 4),
  );
  const wide = blocks.map(upsampleTwice);
  const columns = Array.from({ length: w }, (_, c) => upsampleTwice(wide.map((row) => row[c])));
  const out: number[] = [];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const fine = softmax([x[r * w + c], -x[r * w + c]]);
      const coarse = softmax([3 * columns[c][r], -3 * columns[c][r]]);
      out.push((fine[0] + coarse[0]) / 2, (fine[1] + coarse[1]) / 2);
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tolerance);
}

describe('multiscaleAverageLogits', () => {
  const [h, w] = [6, 8];
  const x = Array.from(pseudoRandomValues(h * w, 31)).map((v) => 2 * v);
  const image = { data: Float32Array.from(x), shape: [h, w, 1] };

  describe('having a two-scale network and whole-image inference', () => {
    it('should give the mean of the full-resolution and the linearly upsampled coarse probabilities', () => {
      const probabilities = predictWholeImageProbabilities(multiscaleAverageLogits(new TwoScaleNetwork()), image, 2);
      expect(probabilities.shape).toEqual([h, w, 2]);
      const expected = twoScaleReference(x, h, w);
      expectClose(probabilities.data, expected);
      // The coarse output matters: the plain prediction differs.
      const plain = predictWholeImageProbabilities(networkLogits(new TwoScaleNetwork()), image, 2);
      expect(Math.max(...plain.data.map((p, i) => Math.abs(p - expected[i])))).toBeGreaterThan(0.01);
    });
  });

  describe('having a two-scale network and sliding windows', () => {
    it('should average each window\'s multiscale outputs: one window covering the image equals whole-image inference', () => {
      const probabilities = predictSlidingWindow(multiscaleAverageLogits(new TwoScaleNetwork()), image, { windowSize: [h, w] });
      expectClose(probabilities.data, twoScaleReference(x, h, w));
    });

    it('should, with two side-by-side windows of constant weight, give each half its own multiscale average', () => {
      const probabilities = predictSlidingWindow(multiscaleAverageLogits(new TwoScaleNetwork()), image, { windowSize: [h, w / 2], stride: [h, w / 2], weighting: 'constant' });
      const halves = [0, 1].map((half) => twoScaleReference(x.filter((_, i) => Math.floor((i % w) / (w / 2)) === half), h, w / 2));
      const expected: number[] = [];
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const half = Math.floor(c / (w / 2));
          const local = r * (w / 2) + (c % (w / 2));
          expected.push(halves[half][2 * local], halves[half][2 * local + 1]);
        }
      }
      expectClose(probabilities.data, expected);
    });
  });

  describe('having a UNet2D with deep supervision (four outputs at 1, ½, ¼ and ⅛ resolution)', () => {
    it('should equal the mean softmax of its outputs resized by the transform library, and release every tensor', () => {
      const unet = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0], deepSupervision: true }), name: 'deep', random: new SeededRandom(3) });
      try {
        const size = 16;
        const input = { data: pseudoRandomValues(size * size, 8), shape: [size, size, 1] };
        const before = tf.memory().numTensors;
        const probabilities = predictWholeImageProbabilities(multiscaleAverageLogits(unet), input, 8);
        expect(tf.memory().numTensors).toBe(before);

        const outputs = tf.tidy(() => unet.applyMultiscale(tf.tensor4d(input.data, [1, size, size, 1]), { training: false }));
        expect(outputs.map((o) => o.shape[1])).toEqual([16, 8, 4, 2]);
        const expected = new Float64Array(size * size * 3);
        for (const output of outputs) {
          const [, oh, ow, classes] = output.shape;
          const resized = resampleAffine({ data: output.dataSync() as Float32Array, spatial: [oh, ow], channels: classes }, [size, size], resizeAffine([oh, ow], [size, size]), 'linear').data;
          for (let v = 0; v < size * size; v++) {
            softmax([...resized.subarray(3 * v, 3 * v + 3)]).forEach((p, k) => (expected[3 * v + k] += p / outputs.length));
          }
        }
        tf.dispose(outputs);
        expectClose(probabilities.data, expected);
      } finally {
        unet.dispose();
      }
    });
  });

  describe('having a UNet3D with deep supervision and sliding windows over a volume', () => {
    it('should equal, for a window covering the volume, the mean softmax of its outputs resized trilinearly by the transform library', () => {
      const unet = new UNet3D({ ...unet3dParams.parse({ inChannels: 1, classes: 2, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0], deepSupervision: true }), name: 'deep3d', random: new SeededRandom(4) });
      try {
        const size = 8;
        const input = { data: pseudoRandomValues(size ** 3, 12), shape: [size, size, size, 1] };
        const before = tf.memory().numTensors;
        const probabilities = predictSlidingWindow(multiscaleAverageLogits(unet), input, { windowSize: [size, size, size] });
        expect(tf.memory().numTensors).toBe(before);

        const outputs = tf.tidy(() => unet.applyMultiscale(tf.tensor5d(input.data, [1, size, size, size, 1]), { training: false }));
        expect(outputs.map((o) => o.shape[1])).toEqual([8, 4, 2, 1]);
        const expected = new Float64Array(size ** 3 * 2);
        for (const output of outputs) {
          const [, od, oh, ow, classes] = output.shape;
          const resized = resampleAffine({ data: output.dataSync() as Float32Array, spatial: [od, oh, ow], channels: classes }, [size, size, size], resizeAffine([od, oh, ow], [size, size, size]), 'linear').data;
          for (let v = 0; v < size ** 3; v++) softmax([resized[2 * v], resized[2 * v + 1]]).forEach((p, k) => (expected[2 * v + k] += p / outputs.length));
        }
        tf.dispose(outputs);
        expectClose(probabilities.data, expected);
      } finally {
        unet.dispose();
      }
    });
  });

  describe('when the network has no multiscale outputs', () => {
    it('should refuse, naming the network', () => {
      const network = new PointwiseNetwork('flat', 1, 2);
      try {
        expect(() => multiscaleAverageLogits(network)).toThrow('network PointwiseNetwork "flat" has no multiscale outputs (applyMultiscale) to average');
      } finally {
        network.dispose();
      }
    });
  });
});
