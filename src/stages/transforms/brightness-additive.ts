import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { mapChannels } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam } from './transform-params.js';

const params = z
  .object({
    deltaRange: rangeParam('Range [low, high] of the offset added to every image value, drawn uniformly once per sample').default([-0.1, 0.1]),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/** Adds one random offset to the whole image (batchgenerators' BrightnessTransform, used by nnU-Net). */
export class BrightnessAdditive extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'BrightnessAdditive';
  static readonly description = 'Random additive brightness shift';
  static readonly reference = 'Isensee et al., nnU-Net, Nature Methods 2021 (batchgenerators)';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const delta = drawFrom(this.params.deltaRange, random);
    return { ...sample, image: mapChannels(sample.image, () => (v) => v + delta) };
  }
}
