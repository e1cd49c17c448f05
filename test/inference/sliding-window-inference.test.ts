import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianImportanceMap } from '../../src/images/gaussian-importance-map.js';
import { predictSlidingWindow } from '../../src/inference/sliding-window-inference.js';
import { slidingWindowStarts } from '../../src/images/sliding-window-positions.js';
import { predictWholeImageProbabilities } from '../../src/inference/whole-image-inference.js';
import { pointwiseLogits, pseudoRandomValues, windowMeanLogits } from './inference-test-networks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('slidingWindowStarts', () => {
  it('having size 10, window 4, stride 2, should give [0, 2, 4, 6]', () => {
    expect(slidingWindowStarts(10, 4, 2)).toEqual([0, 2, 4, 6]);
  });
  it('having size 11, window 4, stride 3, should spread 4 windows evenly: [0, 2, 5, 7]', () => {
    expect(slidingWindowStarts(11, 4, 3)).toEqual([0, 2, 5, 7]);
  });
  it('having a window at least as large as the axis, should give one window at 0', () => {
    expect(slidingWindowStarts(3, 4, 2)).toEqual([0]);
  });
  it('when the stride exceeds the window, should throw', () => {
    expect(() => slidingWindowStarts(10, 4, 5)).toThrow(/stride/);
  });
});

describe('gaussianImportanceMap', () => {
  it('having a 8×5 window, should be exp(−(i−4)²/(2·1²))·exp(−(j−2)²/(2·0.625²)), 1 at the centre', () => {
    const map = gaussianImportanceMap([8, 5]);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 5; j++) {
        const expected = Math.exp(-((i - 4) ** 2) / 2) * Math.exp(-((j - 2) ** 2) / (2 * 0.625 ** 2));
        expect(map[i * 5 + j]).toBeCloseTo(expected, 6);
      }
    expect(map[4 * 5 + 2]).toBe(1);
  });
});

describe('predictSlidingWindow', () => {
  const weights2 = [[1.5, -0.5, 0.2], [-1, 0.7, 0.3]];
  const pointwise2 = pointwiseLogits(weights2, [0.1, 0, -0.1]);

  for (const [name, shape, window, options] of [
    ['2D, Gaussian weights, overlap 0.5, batch 3', [13, 17, 2], [6, 8], { batchSize: 3 }],
    ['2D, constant weights, stride 1', [9, 7, 2], [4, 4], { stride: [1, 1], weighting: 'constant' }],
    ['2D image smaller than the window along one axis', [5, 20, 2], [8, 8], { batchSize: 2 }],
    ['3D, Gaussian weights, batch 4', [7, 9, 11, 2], [4, 5, 6], { batchSize: 4 }],
  ] as const) {
    describe(`having a pointwise network (${name})`, () => {
      it('should equal whole-image inference', () => {
        const image = { data: pseudoRandomValues(shape.reduce((a: number, b: number) => a * b, 1), 3), shape: [...shape] };
        const windowed = predictSlidingWindow(pointwise2, image, { windowSize: [...window], ...options });
        const whole = predictWholeImageProbabilities(pointwise2, image, 1);
        expect(windowed.shape).toEqual([...shape.slice(0, -1), 3]);
        expect(windowed.data.length).toBe(whole.data.length);
        let largest = 0;
        for (let i = 0; i < whole.data.length; i++) largest = Math.max(largest, Math.abs(windowed.data[i] - whole.data[i]));
        expect(largest).toBeLessThan(1e-6);
      });
    });
  }

  describe('having a network that sees the whole window (logits [x, window mean]) on a 10×11 image', () => {
    const shape = [10, 11];
    const image = { data: pseudoRandomValues(110, 9), shape: [10, 11, 1] };
    const reference = (weighting: 'gaussian' | 'constant') => {
      // Plain loops: every window's softmax, weighted by an independently written Gaussian, averaged per pixel.
      const startsY = [0, 2, 4, 6];
      const startsX = [0, 2, 5];
      const sums = new Float64Array(110 * 2);
      const weightSums = new Float64Array(110);
      for (const y0 of startsY)
        for (const x0 of startsX) {
          let mean = 0;
          for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) mean += image.data[(y0 + y) * 11 + x0 + x] / 24;
          for (let y = 0; y < 4; y++)
            for (let x = 0; x < 6; x++) {
              const w = weighting === 'constant' ? 1 : Math.exp(-((y - 2) ** 2) / (2 * 0.5 ** 2) - (x - 3) ** 2 / (2 * 0.75 ** 2));
              const v = image.data[(y0 + y) * 11 + x0 + x];
              const p0 = 1 / (1 + Math.exp(mean - v));
              const index = (y0 + y) * 11 + x0 + x;
              sums[index * 2] += w * p0;
              sums[index * 2 + 1] += w * (1 - p0);
              weightSums[index] += w;
            }
        }
      return sums.map((s, i) => s / weightSums[Math.floor(i / 2)]);
    };
    for (const weighting of ['gaussian', 'constant'] as const) {
      it(`should equal the plain-loop weighted average of overlapping windows (${weighting})`, () => {
        // Window 4×6, stride 2×3: starts [0,2,4,6] along 10 and [0,2,5] along 11 (11−6 = 5 in two steps of 2.5, rounded half to even as numpy).
        expect(slidingWindowStarts(10, 4, 2)).toEqual([0, 2, 4, 6]);
        expect(slidingWindowStarts(11, 6, 3)).toEqual([0, 2, 5]);
        const result = predictSlidingWindow(windowMeanLogits, image, { windowSize: [4, 6], stride: [2, 3], weighting, batchSize: 5 });
        const expected = reference(weighting);
        expect(result.shape).toEqual([...shape, 2]);
        for (let i = 0; i < expected.length; i++) expect(result.data[i]).toBeCloseTo(expected[i], 5);
      });
    }
  });

  describe('when run repeatedly', () => {
    it('should leave no tensors behind', () => {
      const image = { data: pseudoRandomValues(6 * 7 * 8 * 2, 1), shape: [6, 7, 8, 2] };
      predictSlidingWindow(pointwise2, image, { windowSize: [4, 4, 4], batchSize: 2 });
      const before = tf.memory().numTensors;
      predictSlidingWindow(pointwise2, image, { windowSize: [4, 4, 4], batchSize: 2 });
      predictWholeImageProbabilities(pointwise2, image, 4);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('when the window does not match the image dimension', () => {
    it('should throw naming the window size', () => {
      const image = { data: new Float32Array(16), shape: [4, 4, 1] };
      expect(() => predictSlidingWindow(pointwise2, image, { windowSize: [2, 2, 2] })).toThrow(/window size \[2,2,2\]/);
    });
  });
});
