import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { resizeSample } from './rescale.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    ratio: rangeParam('Range [low, high] of the scale factor (> 0), drawn uniformly; the output size per axis is round(input × factor) (PyMIC `RandomRescale_lower_bound`, `RandomRescale_upper_bound`)')
      .refine(([low]) => low > 0, { message: 'ratio must be positive' })
      .default([0.8, 1.25]),
    independentAxes: z.boolean().default(false).describe('Draw a separate factor per axis (anisotropic) instead of one for all'),
    probability: probabilityParam('RandomRescale_probability').default(1),
  })
  .strict();

/** Resizes by a random factor (PyMIC's RandomRescale), image linear and label nearest. */
export class RandomRescale extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomRescale';
  static readonly description = 'Resize by a random factor (image linear, label nearest)';
  static readonly reference = 'PyMIC transform.rescale.RandomRescale';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const spatial = spatialSizeOf(sample);
    const shared = drawFrom(this.params.ratio, random);
    const outputSpatial = spatial.map((s) => Math.max(1, Math.round(s * (this.params.independentAxes ? drawFrom(this.params.ratio, random) : shared))));
    return resizeSample(sample, outputSpatial);
  }
}
