import { describe, expect, it } from 'vitest';
import { stageFamilies } from '../../../src/stages/built-in-stages.js';
import { SampleTransformStage } from '../../../src/stages/transforms/sample-transform-stage.js';

/** The transforms family (src/stages/transforms/index.ts): PyMIC's transform library as sample transform stages. */
const transforms = Object.values(stageFamilies.transforms);

describe('the built-in transform stages', () => {
  it("should hold PyMIC's transform library, each a sample transform with a description", () => {
    expect(transforms.length).toBeGreaterThanOrEqual(33);
    for (const stageClass of transforms) {
      expect(stageClass.prototype, stageClass.className).toBeInstanceOf(SampleTransformStage);
      expect(stageClass.description.length, stageClass.className).toBeGreaterThan(10);
    }
  });
  it('should reject unknown params in every transform schema (strict), naming the key', () => {
    for (const stageClass of transforms) {
      const name = stageClass.className;
      const result = stageClass.paramsSchema.safeParse({ size: [2, 2], classes: 2, labels: [1], sourceLabels: [1], targetLabels: [1], spacing: [1, 1], typo: 1 });
      expect(result.success, name).toBe(false);
      expect(JSON.stringify(result.error!.issues), name).toContain('typo');
    }
  });
});
