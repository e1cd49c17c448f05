import { z } from 'zod';
import type { ImageArray, LabelArray, Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    /** Flip left-right (columns) with this probability. */
    horizontal: z.number().min(0).max(1).default(0.5),
    /** Flip up-down (rows) with this probability. */
    vertical: z.number().min(0).max(1).default(0),
  })
  .strict();

/** Random mirror of image and label along the columns and/or rows (PyMIC's RandomFlip). */
export class RandomFlip extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomFlip';
  static readonly description = 'Random left-right / up-down mirroring of image and label';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    const flipColumns = random.uniform() < this.params.horizontal;
    const flipRows = random.uniform() < this.params.vertical;
    if (!flipColumns && !flipRows) return sample;
    return {
      ...sample,
      image: flipPlane(sample.image, flipRows, flipColumns),
      label: sample.label ? flipPlane(sample.label, flipRows, flipColumns) : undefined,
    };
  }
}

export function flipPlane<T extends ImageArray | LabelArray>(array: T, rows: boolean, columns: boolean): T {
  const [h, w] = array.shape;
  const c = array.shape.length === 3 ? (array.shape as readonly number[])[2] : 1;
  const out = new (array.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(array.data.length);
  for (let y = 0; y < h; y++) {
    const sy = rows ? h - 1 - y : y;
    for (let x = 0; x < w; x++) {
      const sx = columns ? w - 1 - x : x;
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = array.data[(sy * w + sx) * c + k];
    }
  }
  return { ...array, data: out } as T;
}
