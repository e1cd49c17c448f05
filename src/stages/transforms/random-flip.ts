import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import type { ImageArray, LabelArray } from '../../images/image-array.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { flipAxes } from '../../images/grid-index-math.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { spatialDimension } from './transform-params.js';

const params = z
  .object({
    horizontal: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Probability (0..1) of flipping left-right, along the last spatial axis (columns); PyMIC `RandomFlip_flip_width` is 0.5 or 0'),
    vertical: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Probability (0..1) of flipping up-down, along the second-last spatial axis (rows); PyMIC `RandomFlip_flip_height` is 0.5 or 0'),
    depth: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Probability (0..1) of flipping along the slices (the first axis of a 3D volume); ignored for 2D; PyMIC `RandomFlip_flip_depth` is 0.5 or 0'),
  })
  .strict();

/** Random mirror of image and label along columns, rows and/or slices (PyMIC's RandomFlip: flip_lr, flip_ud, flip_depth). */
export class RandomFlip extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomFlip';
  static readonly description = 'Random left-right / up-down / depth mirroring of image and label';
  static readonly reference = 'PyMIC transform.flip.RandomFlip';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    const flipColumns = random.uniform() < this.params.horizontal;
    const flipRows = random.uniform() < this.params.vertical;
    const dimension = spatialDimension(sample);
    const flipSlices = dimension === 3 && random.uniform() < this.params.depth;
    if (!flipColumns && !flipRows && !flipSlices) return sample;
    const axes = Array.from({ length: dimension }, (_, a) =>
      a === dimension - 1 ? flipColumns : a === dimension - 2 ? flipRows : flipSlices,
    );
    return applySpatialStepToSample(sample, { kind: 'flip', axes });
  }
}

/** Mirrors a 2D image [H, W, C] or label [H, W] along rows and/or columns (kept for callers of the 2D API). */
export function flipPlane<T extends ImageArray | LabelArray>(array: T, rows: boolean, columns: boolean): T {
  const isImage = array.shape.length === 3;
  const grid = flipAxes({ data: array.data, spatial: array.shape.slice(0, 2), channels: isImage ? array.shape[2] : 1 }, [rows, columns]);
  return { ...array, data: grid.data } as T;
}
