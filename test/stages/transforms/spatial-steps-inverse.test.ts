import { describe, expect, it } from 'vitest';
import type { Sample, ExtendedSample } from '../../../src/graph/sample.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { CenterCrop } from '../../../src/stages/transforms/center-crop.js';
import { CropWithForeground } from '../../../src/stages/transforms/crop-with-foreground.js';
import { ElasticDeformation } from '../../../src/stages/transforms/elastic-deformation.js';
import { Pad } from '../../../src/stages/transforms/pad.js';
import { Affine } from '../../../src/stages/transforms/random-affine.js';
import { RandomCrop } from '../../../src/stages/transforms/random-crop.js';
import { RandomFlip } from '../../../src/stages/transforms/random-flip.js';
import { RandomResizedCrop } from '../../../src/stages/transforms/random-resized-crop.js';
import { RandomRot90 } from '../../../src/stages/transforms/random-rot90.js';
import { RandomRotate } from '../../../src/stages/transforms/random-rotate.js';
import { RandomSlice } from '../../../src/stages/transforms/random-slice.js';
import { RandomTranspose } from '../../../src/stages/transforms/random-transpose.js';
import { Resample } from '../../../src/stages/transforms/resample.js';
import { Rescale } from '../../../src/stages/transforms/rescale.js';
import type { SampleTransformStage } from '../../../src/stages/transforms/sample-transform-stage.js';
import { invertSpatialSteps } from '../../../src/images/spatial-steps.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

/** A 3D case whose label is its own voxel index (so every misplacement shows) and a smooth image. */
function volume(): Sample {
  const spatial = [4, 6, 8];
  const label = ramp(4 * 6 * 8);
  return { ...sampleOf(spatial, label.map((i) => Math.sin(i / 7)), label), spacing: [3, 1, 1] };
}

/** Pushes the transformed label back through the inverse steps; every voxel that survived must land where it came from. */
function expectExactInverse(stage: SampleTransformStage<unknown>, sample: Sample, seed: number): void {
  const out = stage.apply(sample, new SeededRandom(seed)) as ExtendedSample;
  const back = invertSpatialSteps(out.label!, out.spatialSteps ?? [], { channels: false, interpolation: 'nearest' });
  expect(back.shape).toEqual(sample.label!.shape);
  const survivors = new Set(out.label!.data);
  let checked = 0;
  back.data.forEach((v, i) => {
    if (survivors.has(i) && i !== 0) {
      expect(v).toBe(i);
      checked++;
    }
  });
  expect(checked).toBeGreaterThan(0);
}

describe('invertSpatialSteps on exact grid transforms', () => {
  const cases: Array<[string, () => SampleTransformStage<unknown>, () => Sample]> = [
    ['Pad', () => makeTransform(Pad, { size: [5, 9, 9] }) as SampleTransformStage<unknown>, volume],
    ['CenterCrop', () => makeTransform(CenterCrop, { size: [2, 3, 4] }) as SampleTransformStage<unknown>, volume],
    ['RandomCrop', () => makeTransform(RandomCrop, { size: [3, 4, 5] }) as SampleTransformStage<unknown>, volume],
    ['CropWithForeground', () => makeTransform(CropWithForeground, { margin: [0, 1, 1] }) as SampleTransformStage<unknown>, volume],
    ['RandomFlip', () => makeTransform(RandomFlip, { horizontal: 1, vertical: 1, depth: 1 }) as SampleTransformStage<unknown>, volume],
    ['RandomRot90', () => makeTransform(RandomRot90, { axes: [0, 2], probability: 1 }) as SampleTransformStage<unknown>, volume],
    ['RandomTranspose', () => makeTransform(RandomTranspose, { axes: [0, 1, 2], probability: 1 }) as SampleTransformStage<unknown>, volume],
    ['RandomSlice', () => makeTransform(RandomSlice, { axis: 1 }) as SampleTransformStage<unknown>, volume],
    ['Rescale ×2', () => makeTransform(Rescale, { size: [8, 12, 16] }) as SampleTransformStage<unknown>, volume],
    ['Resample to half the spacing', () => makeTransform(Resample, { spacing: [1.5, 0.5, 0.5] }) as SampleTransformStage<unknown>, volume],
  ];
  for (const [name, stage, sample] of cases) {
    describe(`having a sample through ${name}`, () => {
      it('should map the label back onto the original grid, every surviving voxel in its place', () => {
        for (let seed = 0; seed < 3; seed++) expectExactInverse(stage(), sample(), seed);
      });
    });
  }

  describe('having a chain crop → flip → rot90 → pad', () => {
    it('should undo the steps newest first', () => {
      const chain = [
        makeTransform(RandomCrop, { size: [3, 5, 6] }),
        makeTransform(RandomFlip, { horizontal: 1, vertical: 0.5 }),
        makeTransform(RandomRot90, { probability: 1 }),
        makeTransform(Pad, { size: [4, 7, 7] }),
      ] as SampleTransformStage<unknown>[];
      const start = volume();
      const out = chain.reduce((s, stage, i) => stage.apply(s, new SeededRandom(i)), start) as ExtendedSample;
      expect(out.spatialSteps!.map((s) => s.kind)).toEqual(['window', 'flip', 'rotate90', 'window']);
      const back = invertSpatialSteps(out.label!, out.spatialSteps!, { channels: false, interpolation: 'nearest' });
      const kept = new Set(out.label!.data);
      back.data.forEach((v, i) => kept.has(i) && i !== 0 && expect(v).toBe(i));
      expect(back.shape).toEqual([4, 6, 8]);
    });
  });
});

describe('invertSpatialSteps on resampling transforms', () => {
  describe('having a probability map through a small rotation and an affine zoom', () => {
    it('should return the original grid, values close in the interior', () => {
      const size = 24;
      const smooth = ramp(size * size).map((i) => Math.sin(Math.floor(i / size) / 5) + Math.cos((i % size) / 6));
      const sample = sampleOf([size, size], smooth);
      for (const stage of [makeTransform(RandomRotate, { angleRange: [10, 10] }), makeTransform(Affine, { scale: [1.2, 1.2], rotation: [5, 5] })] as SampleTransformStage<unknown>[]) {
        const out = stage.apply(sample, new SeededRandom(0)) as ExtendedSample;
        const back = invertSpatialSteps(out.image, out.spatialSteps!, { channels: true, interpolation: 'linear' });
        expect(back.shape).toEqual([size, size, 1]);
        for (let r = 8; r < 16; r++) for (let c = 8; c < 16; c++) expect(back.data[r * size + c]).toBeCloseTo(smooth[r * size + c], 1);
      }
    });
  });
  describe('having a two-channel probability map through RandomResizedCrop', () => {
    it('should come back at the original size with both channels', () => {
      const out = makeTransform(RandomResizedCrop, { size: [6, 6], scale: [0.5, 0.5], ratio: [1, 1] }).apply(sampleOf([10, 10], ramp(200), undefined, 2), new SeededRandom(1)) as ExtendedSample;
      expect(invertSpatialSteps(out.image, out.spatialSteps!, { channels: true, interpolation: 'linear' }).shape).toEqual([10, 10, 2]);
    });
  });
  describe('having an elastic deformation in the history', () => {
    it('should refuse to invert, naming the node', () => {
      const out = makeTransform(ElasticDeformation, { probability: 1 }).apply(sampleOf([6, 6], ramp(36), ramp(36)), new SeededRandom(0)) as ExtendedSample;
      expect(() => invertSpatialSteps(out.label!, out.spatialSteps!, { channels: false, interpolation: 'nearest' })).toThrow('node (ElasticDeformation)');
    });
  });
});
