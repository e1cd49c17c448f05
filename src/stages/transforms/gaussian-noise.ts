import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { probabilityParam } from './transform-params.js';

const params = z
  .object({
    mean: z.number().default(0).describe('Mean of the noise, in image intensity units (PyMIC `GaussianNoise_mean`)'),
    std: z.number().nonnegative().default(0.05).describe('Standard deviation of the noise, in image intensity units (PyMIC `GaussianNoise_std`)'),
    probability: probabilityParam('GaussianNoise_probability').default(0.5),
  })
  .strict();

/** Adds independent Gaussian noise N(mean, std²) to every value (PyMIC's GaussianNoise). */
export class GaussianNoise extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'GaussianNoise';
  static readonly description = 'Additive Gaussian noise on every image value';
  static readonly reference = 'PyMIC transform.intensity.GaussianNoise';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const noise = random.normalArray(sample.image.data.length, this.params.mean, this.params.std);
    for (let i = 0; i < noise.length; i++) noise[i] += sample.image.data[i];
    return { ...sample, image: { data: noise, shape: sample.image.shape } };
  }
}
