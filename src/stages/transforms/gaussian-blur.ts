import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { gaussianFilter } from '../../images/gaussian-filter.js';
import { gridToImage, imageGrid } from '../../images/grid.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { drawFrom, probabilityParam, rangeParam, spatialDimension } from './transform-params.js';

const params = z
  .object({
    sigmaRange: rangeParam('Range [low, high] of σ in grid points (≥ 0), drawn uniformly, the same along every spatial axis')
      .refine(([low]) => low >= 0, { message: 'sigma must be non-negative' })
      .default([0.5, 1.5]),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/** Gaussian smoothing with a random σ (nnU-Net's / PyMIC's GaussianBlur augmentation), edges extended. */
export class GaussianBlur extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'GaussianBlur';
  static readonly description = 'Gaussian smoothing of the image with a random sigma';
  static readonly reference = 'PyMIC transform.intensity.GaussianBlur';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const sigma = drawFrom(this.params.sigmaRange, random);
    const sigmas = Array.from({ length: spatialDimension(sample) }, () => sigma);
    return { ...sample, image: gridToImage(gaussianFilter(imageGrid(sample.image), sigmas)) };
  }
}
