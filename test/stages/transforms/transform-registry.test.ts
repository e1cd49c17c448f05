import { describe, expect, it } from 'vitest';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { SampleTransformStage } from '../../../src/stages/transforms/sample-transform-stage.js';

const transformNames = [
  'Pad', 'CenterCrop', 'RandomCrop', 'RandomResizedCrop', 'RandomSlice', 'CropWithBoundingBox', 'CropWithForeground',
  'Rescale', 'RandomRescale', 'Resample', 'RandomFlip', 'RandomRotate', 'RandomRot90', 'RandomTranspose', 'Affine',
  'ElasticDeformation', 'NormalizeWithMeanStd', 'NormalizeWithMinMax', 'NormalizeWithPercentiles', 'IntensityClip',
  'HistEqual', 'GammaCorrection', 'GaussianNoise', 'GaussianBlur', 'BrightnessAdditive', 'BrightnessMultiplicative',
  'ContrastAdjust', 'LabelConvert', 'LabelConvertNonzero', 'LabelSelect', 'LabelToProbability',
  'PartialLabelToProbability', 'LabelSmoothing',
];

describe('the built-in transform stages', () => {
  const byName = new Map(builtInStageClasses.map((c) => [c.className, c]));
  it('should register every transform of the library once, as a sample transform', () => {
    expect(new Set(builtInStageClasses.map((c) => c.className)).size).toBe(builtInStageClasses.length);
    for (const name of transformNames) {
      const stageClass = byName.get(name);
      expect(stageClass, name).toBeDefined();
      expect(stageClass!.prototype).toBeInstanceOf(SampleTransformStage);
      expect(stageClass!.description.length, name).toBeGreaterThan(10);
    }
  });
  it('should reject unknown params in every transform schema (strict), naming the key', () => {
    for (const name of transformNames) {
      const result = byName.get(name)!.paramsSchema.safeParse({ size: [2, 2], classes: 2, labels: [1], sourceLabels: [1], targetLabels: [1], spacing: [1, 1], typo: 1 });
      expect(result.success, name).toBe(false);
      expect(JSON.stringify(result.error!.issues), name).toContain('typo');
    }
  });
});
