import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { channelValues, mapChannels, percentiles } from '../../images/intensity-statistics.js';
import { rangeMap } from './normalize-with-min-max.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    lowerPercentile: z.number().min(0).max(100).default(0.5).describe('Lower percentile (0..100), e.g. 0.5 (PyMIC `NormalizeWithPercentiles_percentile_lower`)'),
    upperPercentile: z.number().min(0).max(100).default(99.5).describe('Upper percentile (0..100), e.g. 99.5 (PyMIC `NormalizeWithPercentiles_percentile_upper`)'),
    outputRange: z.tuple([z.number(), z.number()]).default([0, 1]).describe('Output interval [low, high] that the percentile interval is mapped onto (PyMIC maps to [0, 1])'),
  })
  .strict()
  .refine((p) => p.lowerPercentile <= p.upperPercentile, { message: 'lowerPercentile must not exceed upperPercentile' });

/**
 * Robust per-channel normalisation: clip to the channel's [lower, upper] percentiles (numpy's linear interpolation)
 * and map that interval onto the output range (PyMIC's NormalizeWithPercentiles; nnU-Net's CT clipping).
 */
export class NormalizeWithPercentiles extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'NormalizeWithPercentiles';
  static readonly description = 'Clip to intensity percentiles and map them onto an output range';
  static readonly reference = 'PyMIC transform.normalize.NormalizeWithPercentiles';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const [low, high] = percentiles(channelValues(sample.image, k), [this.params.lowerPercentile, this.params.upperPercentile]);
        return rangeMap(low, high, this.params.outputRange);
      }),
    };
  }
}
