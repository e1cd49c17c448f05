import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { channelValues, mapChannels, minAndMax } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    lower: z
      .number()
      .nullable()
      .default(null)
      .describe("Fixed lower input bound for every channel (values below are clipped); null: the channel's minimum (PyMIC `NormalizeWithMinMax_threshold_lower`)"),
    upper: z
      .number()
      .nullable()
      .default(null)
      .describe("Fixed upper input bound for every channel (values above are clipped); null: the channel's maximum (PyMIC `NormalizeWithMinMax_threshold_upper`)"),
    outputRange: z.tuple([z.number(), z.number()]).default([0, 1]).describe('Output interval [low, high] that [lower, upper] is mapped onto (PyMIC maps to [0, 1])'),
  })
  .strict();

/**
 * Linear per-channel map of [lower, upper] onto the output range after clipping (PyMIC's NormalizeWithMinMax);
 * a constant channel maps to the lower output bound.
 */
export class NormalizeWithMinMax extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'NormalizeWithMinMax';
  static readonly description = 'Per-channel linear map of [min, max] (or fixed bounds) onto an output range';
  static readonly reference = 'PyMIC transform.normalize.NormalizeWithMinMax';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const own = minAndMax(channelValues(sample.image, k));
        return rangeMap(this.params.lower ?? own.min, this.params.upper ?? own.max, this.params.outputRange);
      }),
    };
  }
}

/** Clips to [low, high] and maps it linearly onto `output`. */
export function rangeMap(low: number, high: number, output: readonly [number, number]): (v: number) => number {
  const scale = high > low ? (output[1] - output[0]) / (high - low) : 0;
  return (v) => output[0] + (Math.min(Math.max(v, low), high) - low) * scale;
}
