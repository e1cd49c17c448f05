import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { axesScale, multiplyMatrices, planeRotation, planeShear } from '../../images/affine-matrices.js';
import { centredAffine } from '../../images/interpolation.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { drawFrom, probabilityParam, rangeParam, spatialDimension, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    rotation: rangeParam('Range [low, high] of the in-plane rotation angle in degrees, drawn uniformly (PyMIC `Affine_rotate_range`)').default([0, 0]),
    scale: rangeParam('Range [low, high] of the zoom factor (> 0; > 1 enlarges the content), drawn uniformly (PyMIC `Affine_scale_range`)')
      .refine(([low]) => low > 0, { message: 'scale must be positive' })
      .default([1, 1]),
    shear: rangeParam("Range [low, high] of the shear factor (columns shift by factor × rows), drawn uniformly; PyMIC's `Affine_shear_range` gives the angle in degrees whose tangent this is").default([0, 0]),
    probability: probabilityParam().default(1),
  })
  .strict();

/**
 * Random affine augmentation in the rows/columns plane (the last two axes; a 3D volume gets the same in-plane map on
 * every slice): rotation, zoom and shear about the centre, as torchvision's RandomAffine. Image linear, label nearest,
 * outside filled with 0. The map from output to input offsets is R(θ)·Shear(h)/s. Records an affine step.
 */
export class Affine extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'Affine';
  static readonly description = 'Random in-plane rotation, zoom and shear about the centre';
  static readonly reference = 'torchvision RandomAffine; PyMIC transform.affine';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const n = spatialDimension(sample);
    const [rows, columns] = [n - 2, n - 1];
    const theta = (drawFrom(this.params.rotation, random) * Math.PI) / 180;
    const zoom = drawFrom(this.params.scale, random);
    const shear = drawFrom(this.params.shear, random);
    const linear = multiplyMatrices(n, multiplyMatrices(n, planeRotation(n, rows, columns, theta), planeShear(n, columns, rows, shear)), axesScale(n, [rows, columns], 1 / zoom));
    const spatial = spatialSizeOf(sample);
    return applySpatialStepToSample(sample, { kind: 'affine', inputSpatial: spatial, outputSpatial: spatial, outputToInput: centredAffine(spatial, linear) });
  }
}
