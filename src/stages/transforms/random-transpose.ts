import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { resolveAxis } from '../../images/grid.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { probabilityParam, spatialDimension } from './transform-params.js';

const params = z
  .object({
    axes: z
      .array(z.number().int())
      .min(2)
      .max(3)
      .default([-2, -1])
      .describe('Spatial axes to permute among themselves (negative counts from the end); default rows and columns'),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/**
 * Random permutation of some spatial axes (rows ↔ columns by default) of image and label (PyMIC's
 * RandomTranspose); a non-identity permutation is drawn uniformly. Spacing is permuted with the axes.
 */
export class RandomTranspose extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomTranspose';
  static readonly description = 'Random permutation of spatial axes (e.g. swapping rows and columns)';
  static readonly reference = 'PyMIC transform.transpose.RandomTranspose';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const n = spatialDimension(sample);
    const axes = this.params.axes.map((a) => resolveAxis(a, n));
    let shuffled = axes;
    while (shuffled.every((a, i) => a === axes[i])) shuffled = random.shuffle(axes);
    const permutation = Array.from({ length: n }, (_, a) => a);
    axes.forEach((axis, i) => (permutation[axis] = shuffled[i]));
    return applySpatialStepToSample(sample, { kind: 'transpose', permutation });
  }
}
