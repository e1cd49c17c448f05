import { firstValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/graph/sample.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { ContrastAdjust } from '../../../src/stages/transforms/contrast-adjust.js';
import { ElasticDeformation } from '../../../src/stages/transforms/elastic-deformation.js';
import { GaussianNoise } from '../../../src/stages/transforms/gaussian-noise.js';
import { Affine } from '../../../src/stages/transforms/random-affine.js';
import { RandomCrop } from '../../../src/stages/transforms/random-crop.js';
import { RandomResizedCrop } from '../../../src/stages/transforms/random-resized-crop.js';
import { RandomRotate } from '../../../src/stages/transforms/random-rotate.js';
import type { SampleTransformStage } from '../../../src/stages/transforms/sample-transform-stage.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

const stages = (): SampleTransformStage<unknown>[] =>
  [
    makeTransform(RandomCrop, { size: [6, 6], foregroundRatio: 0.5 }),
    makeTransform(RandomRotate, { angleRange: [-30, 30] }),
    makeTransform(Affine, { rotation: [-10, 10], scale: [0.9, 1.1], shear: [-0.1, 0.1] }),
    makeTransform(RandomResizedCrop, { size: [5, 5] }),
    makeTransform(ElasticDeformation, { probability: 1, alpha: 2, sigma: 2 }),
    makeTransform(GaussianNoise, { probability: 1 }),
    makeTransform(ContrastAdjust, { probability: 1 }),
  ] as SampleTransformStage<unknown>[];

async function run(seed: number): Promise<Sample> {
  const sample = { ...sampleOf([8, 8], ramp(64), ramp(64).map((v) => v % 3)), random: new SeededRandom(seed) };
  return firstValueFrom(stages().reduce((stream, stage) => stream.pipe(stage.operator()), of(sample)));
}

describe('a chain of random transforms', () => {
  describe('having the same sample seed', () => {
    it('should give identical images and labels', async () => {
      const [a, b] = await Promise.all([run(7), run(7)]);
      expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
      expect(Array.from(a.label!.data)).toEqual(Array.from(b.label!.data));
    });
  });
  describe('having a different sample seed', () => {
    it('should give a different result', async () => {
      const [a, b] = await Promise.all([run(7), run(8)]);
      expect(Array.from(a.image.data)).not.toEqual(Array.from(b.image.data));
    });
  });
});
