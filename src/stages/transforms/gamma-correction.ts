import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { channelValues, mapChannels, minAndMax } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam } from './transform-params.js';

const params = z
  .object({
    gammaRange: rangeParam('Range [low, high] of the exponent γ (> 0), drawn uniformly (PyMIC `GammaCorrection_gamma_min`, `GammaCorrection_gamma_max`)')
      .refine(([low]) => low > 0, { message: 'gamma must be positive' })
      .default([0.7, 1.5]),
    probability: probabilityParam('GammaCorrection_probability').default(0.5),
  })
  .strict();

/**
 * Random gamma correction per channel (PyMIC's GammaCorrection, nnU-Net's gamma augmentation): values are scaled to
 * [0, 1] by the channel's min and max, raised to γ, and scaled back, so the intensity range is kept.
 */
export class GammaCorrection extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'GammaCorrection';
  static readonly description = 'Random gamma correction within the intensity range';
  static readonly reference = 'PyMIC transform.intensity.GammaCorrection';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const gamma = drawFrom(this.params.gammaRange, random);
    return {
      ...sample,
      image: mapChannels(sample.image, (k) => {
        const { min, max } = minAndMax(channelValues(sample.image, k));
        const span = max - min;
        return (v) => (span > 0 ? min + span * Math.pow((v - min) / span, gamma) : v);
      }),
    };
  }
}
