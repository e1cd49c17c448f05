import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { channelValues, mapChannels, percentiles } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    lower: z.number().nullable().default(null).describe('Fixed lower bound for every channel; null: none, or `lowerPercentile` (PyMIC `IntensityClip_lower`)'),
    upper: z.number().nullable().default(null).describe('Fixed upper bound for every channel; null: none, or `upperPercentile` (PyMIC `IntensityClip_upper`)'),
    lowerPercentile: z
      .number()
      .min(0)
      .max(100)
      .nullable()
      .default(null)
      .describe("Lower bound as a percentile (0..100) of each channel, used when `lower` is null; null: no lower bound (PyMIC's `IntensityClip_lower` with `IntensityClip_percentile_mode`)"),
    upperPercentile: z
      .number()
      .min(0)
      .max(100)
      .nullable()
      .default(null)
      .describe("Upper bound as a percentile (0..100) of each channel, used when `upper` is null; null: no upper bound (PyMIC's `IntensityClip_upper` with `IntensityClip_percentile_mode`)"),
  })
  .strict();

/** Clips intensities to fixed bounds or per-channel percentiles, values unchanged otherwise (PyMIC's IntensityClip). */
export class IntensityClip extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'IntensityClip';
  static readonly description = 'Clip intensities to fixed values or per-channel percentiles';
  static readonly reference = 'PyMIC transform.intensity_clip.IntensityClip';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const { lower, upper, lowerPercentile, upperPercentile } = this.params;
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const needsPercentiles = (lower === null && lowerPercentile !== null) || (upper === null && upperPercentile !== null);
        const [pLow, pHigh] = needsPercentiles ? percentiles(channelValues(sample.image, k), [lowerPercentile ?? 0, upperPercentile ?? 100]) : [0, 0];
        const low = lower ?? (lowerPercentile !== null ? pLow : -Infinity);
        const high = upper ?? (upperPercentile !== null ? pHigh : Infinity);
        return (v) => Math.min(Math.max(v, low), high);
      }),
    };
  }
}
