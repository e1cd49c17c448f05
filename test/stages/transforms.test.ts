import { firstValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/graph/sample.js';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { NormalizeWithMeanStd } from '../../src/stages/transforms/normalize-with-mean-std.js';
import { cropPlane, RandomCrop } from '../../src/stages/transforms/random-crop.js';
import { flipPlane, RandomFlip } from '../../src/stages/transforms/random-flip.js';

/** A 3×4 image with values 0..11 (row-major) and a label map with one foreground pixel at (2, 3). */
function sample(seed = 1): Sample {
  const label = new Int32Array(12);
  label[11] = 2;
  return {
    id: 'case',
    origin: 'test row 1',
    image: { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [3, 4, 1] },
    label: { data: label, shape: [3, 4] },
    random: new SeededRandom(seed),
  };
}

describe('NormalizeWithMeanStd', () => {
  describe('having values 0..11', () => {
    it('should subtract the mean 5.5 and divide by the population std sqrt(143/12)', async () => {
      const stage = instantiateStage(NormalizeWithMeanStd, { nodeName: 'node', params: {} });
      const out = await firstValueFrom(of(sample()).pipe(stage.operator()));
      const std = Math.sqrt(143 / 12) + 1e-5;
      expect(Array.from(out.image.data)).toEqual(Array.from({ length: 12 }, (_, i) => Math.fround((i - 5.5) / std)));
      expect(out.label).toEqual(sample().label);
    });
  });

  describe('when a mask threshold is set', () => {
    it('should take mean and std from the pixels above it only', () => {
      const stage = instantiateStage(NormalizeWithMeanStd, { nodeName: 'node', params: { maskThreshold: 7.5 } });
      // Pixels 8..11: mean 9.5, population variance 1.25.
      const out = stage.apply(sample());
      const std = Math.sqrt(1.25) + 1e-5;
      expect(out.image.data[8]).toBeCloseTo((8 - 9.5) / std, 6);
      expect(out.image.data[0]).toBeCloseTo((0 - 9.5) / std, 5);
    });
  });
});

describe('flipPlane', () => {
  describe('having a 3×4 image', () => {
    it('should mirror columns, rows, or both', () => {
      const image = sample().image;
      expect(Array.from(flipPlane(image, false, true).data)).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
      expect(Array.from(flipPlane(image, true, false).data)).toEqual([8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]);
      expect(Array.from(flipPlane(image, true, true).data)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    });
  });
});

describe('RandomFlip', () => {
  describe('when the probability is 1', () => {
    it('should flip image and label together', () => {
      const stage = instantiateStage(RandomFlip, { nodeName: 'node', params: { horizontal: 1 } });
      const out = stage.apply(sample(), new SeededRandom(0));
      expect(out.image.data[8]).toBe(11);
      expect(out.label!.data[8]).toBe(2);
    });
  });

  describe('having the same sample seed', () => {
    it('should make the same choice every time, and about half the samples flipped at 0.5', () => {
      const stage = instantiateStage(RandomFlip, { nodeName: 'node', params: { horizontal: 0.5 } });
      const flipped = (seed: number) => stage.apply(sample(seed), sample(seed).random.derive('node')).image.data[0] === 3;
      expect(flipped(5)).toBe(flipped(5));
      const count = Array.from({ length: 400 }, (_, s) => flipped(s)).filter(Boolean).length;
      expect(count).toBeGreaterThan(160);
      expect(count).toBeLessThan(240);
    });
  });
});

describe('cropPlane', () => {
  it('should cut the window at the given corner', () => {
    expect(Array.from(cropPlane(sample().image, 1, 1, 2, 2).data)).toEqual([5, 6, 9, 10]);
    expect(cropPlane(sample().label!, 1, 2, 2, 2).shape).toEqual([2, 2]);
  });
});

describe('RandomCrop', () => {
  describe('when the foreground ratio is 1', () => {
    it('should always include the foreground pixel', () => {
      const stage = instantiateStage(RandomCrop, { nodeName: 'node', params: { size: [2, 2], foregroundRatio: 1 } });
      for (let seed = 0; seed < 20; seed++) {
        const out = stage.apply(sample(), new SeededRandom(seed));
        expect(Array.from(out.label!.data)).toContain(2);
        expect(out.image.shape).toEqual([2, 2, 1]);
      }
    });
  });

  describe('when the window is larger than the image', () => {
    it('should throw naming the sample', () => {
      const stage = instantiateStage(RandomCrop, { nodeName: 'node', params: { size: [4, 4] } });
      expect(() => stage.apply(sample(), new SeededRandom(0))).toThrow('test row 1: node crops 4×4 from an image of 3×4');
    });
  });

  describe('having uniform placement', () => {
    it('should reach every position', () => {
      const stage = instantiateStage(RandomCrop, { nodeName: 'node', params: { size: [2, 2] } });
      const corners = new Set<number>();
      for (let seed = 0; seed < 200; seed++) corners.add(stage.apply(sample(), new SeededRandom(seed)).image.data[0]);
      expect([...corners].sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 6]);
    });
  });
});
