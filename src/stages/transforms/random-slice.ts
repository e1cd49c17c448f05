import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { randomForegroundPoint } from './random-crop.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { spatialDimension, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    axis: z.number().int().min(0).max(2).default(0).describe('Spatial axis of the volume to slice across: 0 = axial slices of a [D, H, W] volume'),
    foregroundRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Probability (0..1) of taking the slice through a random foreground voxel (label > 0) instead of a uniform one'),
  })
  .strict();

/**
 * Draws one 2D slice from a 3D sample, so that a 2D network trains on volumes listed as they are (PyMIC trains 2D
 * networks on slices of 3D cases the same way). Records a `slice` step: a 2D prediction maps back into the volume.
 */
export class RandomSlice extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomSlice';
  static readonly description = 'One random 2D slice (optionally through foreground) of a 3D image and label';
  static readonly paramsSchema = params;
  static readonly outputSpatialDims = 2;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (spatialDimension(sample) !== 3) {
      throw new MicflowError('invalid-shape', `${sample.origin}: ${this.nodeName} slices 3D images, but the image is ${sample.image.shape.join('×')}`);
    }
    const spatial = spatialSizeOf(sample);
    const { axis } = this.params;
    let index = random.integer(spatial[axis]);
    if (sample.label && random.uniform() < this.params.foregroundRatio) {
      const point = randomForegroundPoint(sample.label, null, random);
      if (point) index = point[axis];
    }
    return applySpatialStepToSample(sample, { kind: 'slice', inputSpatial: spatial, axis, index });
  }
}
