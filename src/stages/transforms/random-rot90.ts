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
      .tuple([z.number().int(), z.number().int()])
      .default([-2, -1])
      .describe('The rotation plane as two spatial axes (negative counts from the end); default rows/columns'),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/** Rotation by 1, 2 or 3 quarter turns (uniformly), exact on the grid (PyMIC's RandomRot90; numpy's rot90). */
export class RandomRot90 extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomRot90';
  static readonly description = 'Random rotation by a multiple of 90° in a plane';
  static readonly reference = 'PyMIC transform.rotate.RandomRot90';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const n = spatialDimension(sample);
    const first = resolveAxis(this.params.axes[0], n);
    const second = resolveAxis(this.params.axes[1], n);
    const turns = 1 + random.integer(3);
    return applySpatialStepToSample(sample, { kind: 'rotate90', first, second, turns });
  }
}
