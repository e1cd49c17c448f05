import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { channelValues, mapChannels, minAndMax } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    bins: z.number().int().min(2).default(256).describe("Number of histogram bins over the channel's [min, max]"),
  })
  .strict();

/**
 * Histogram equalisation per channel (Gonzalez & Woods, Digital Image Processing, §3.3): each value becomes the
 * cumulative fraction of values in its bin and below, in (0, 1] — scikit-image's `equalize_hist` without its bin-centre
 * interpolation (values in one bin map to one output).
 */
export class HistEqual extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'HistEqual';
  static readonly description = 'Per-channel histogram equalisation to [0, 1]';
  static readonly reference = 'PyMIC transform.intensity.HistEqual';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const { bins } = this.params;
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const values = channelValues(sample.image, k);
        const { min, max } = minAndMax(values);
        const width = (max - min) / bins;
        const bin = (v: number) => (width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0);
        const cumulative = new Float64Array(bins);
        for (const v of values) cumulative[bin(v)]++;
        for (let b = 1; b < bins; b++) cumulative[b] += cumulative[b - 1];
        return (v) => cumulative[bin(v)] / values.length;
      }),
    };
  }
}
