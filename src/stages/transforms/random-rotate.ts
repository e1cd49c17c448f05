import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { identityMatrix, multiplyMatrices, planeRotation } from '../../images/affine-matrices.js';
import { centredAffine } from '../../images/interpolation.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { drawFrom, probabilityParam, rangeParam, spatialDimension, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    angleRange: rangeParam('Range [low, high] of the in-plane angle in degrees (rows/columns plane, the last two axes), drawn uniformly (PyMIC `RandomRotate_angle_range_d`)').default([-15, 15]),
    angleRangeDepthRows: rangeParam('Range [low, high] of the angle in degrees, drawn uniformly')
      .nullable()
      .default(null)
      .describe('3D only: angle range in degrees in the slices/rows plane (axes 0, 1); null: no rotation there (PyMIC `RandomRotate_angle_range_w`)'),
    angleRangeDepthColumns: rangeParam('Range [low, high] of the angle in degrees, drawn uniformly')
      .nullable()
      .default(null)
      .describe('3D only: angle range in degrees in the slices/columns plane (axes 0, 2); null: no rotation there (PyMIC `RandomRotate_angle_range_h`)'),
    probability: probabilityParam('RandomRotate_probability').default(1),
  })
  .strict();

/**
 * Rotation about the grid centre by random angles, keeping the size (PyMIC's RandomRotate with reshape=False):
 * image linear, label nearest, outside filled with 0. Records an affine step.
 */
export class RandomRotate extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomRotate';
  static readonly description = 'Rotation about the centre by random angles (image linear, label nearest)';
  static readonly reference = 'PyMIC transform.rotate.RandomRotate';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const n = spatialDimension(sample);
    const radians = (range: readonly [number, number]) => (drawFrom(range, random) * Math.PI) / 180;
    let linear = planeRotation(n, n - 2, n - 1, radians(this.params.angleRange));
    if (n === 3 && this.params.angleRangeDepthRows) linear = multiplyMatrices(n, linear, planeRotation(n, 0, 1, radians(this.params.angleRangeDepthRows)));
    if (n === 3 && this.params.angleRangeDepthColumns) linear = multiplyMatrices(n, linear, planeRotation(n, 0, 2, radians(this.params.angleRangeDepthColumns)));
    if (linear.every((v, i) => v === identityMatrix(n)[i])) return sample;
    const spatial = spatialSizeOf(sample);
    return applySpatialStepToSample(sample, { kind: 'affine', inputSpatial: spatial, outputSpatial: spatial, outputToInput: centredAffine(spatial, linear) });
  }
}
