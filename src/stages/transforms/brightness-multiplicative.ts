import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { mapChannels } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam } from './transform-params.js';

const params = z
  .object({
    factorRange: rangeParam('Range [low, high] of the factor every image value is multiplied by, drawn uniformly once per sample').default([0.75, 1.25]),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/** Multiplies the whole image by one random factor (nnU-Net's BrightnessMultiplicativeTransform). */
export class BrightnessMultiplicative extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'BrightnessMultiplicative';
  static readonly description = 'Random multiplicative brightness change';
  static readonly reference = 'Isensee et al., nnU-Net, Nature Methods 2021 (batchgenerators)';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const factor = drawFrom(this.params.factorRange, random);
    return { ...sample, image: mapChannels(sample.image, () => (v) => v * factor) };
  }
}
