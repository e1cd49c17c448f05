import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { channelValues, mapChannels, meanAndStd, minAndMax } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam } from './transform-params.js';

const params = z
  .object({
    factorRange: rangeParam('Range [low, high] of the contrast factor, drawn uniformly: values move away from (> 1) or toward (< 1) the channel mean').default([0.75, 1.25]),
    preserveRange: z.boolean().default(true).describe("Clip the result to the channel's original [min, max]"),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/** Contrast change per channel: (x − mean)·f + mean (nnU-Net's ContrastAugmentationTransform). */
export class ContrastAdjust extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'ContrastAdjust';
  static readonly description = 'Random contrast change about the channel mean';
  static readonly reference = 'Isensee et al., nnU-Net, Nature Methods 2021 (batchgenerators)';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const factor = drawFrom(this.params.factorRange, random);
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const values = channelValues(sample.image, k);
        const { mean } = meanAndStd(values);
        const { min, max } = this.params.preserveRange ? minAndMax(values) : { min: -Infinity, max: Infinity };
        return (v) => Math.min(Math.max((v - mean) * factor + mean, min), max);
      }),
    };
  }
}
