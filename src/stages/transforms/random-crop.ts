import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample } from '../../graph/sample.js';
import type { ImageArray, LabelArray } from '../../images/image-array.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { cropOrPad } from '../../images/grid-index-math.js';
import { spatialStrides } from '../../images/grid.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    size: spatialSizeParam('Output size per spatial axis ([H, W] or [D, H, W]); must not exceed the image (PyMIC `RandomCrop_output_size`)'),
    foregroundRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Probability (0..1) of centring the crop on a random foreground pixel instead of a uniform position; needs labels (PyMIC `RandomCrop_foreground_ratio` with `RandomCrop_foreground_focus`)'),
    foregroundLabels: z
      .array(z.number().int().nonnegative())
      .min(1)
      .nullable()
      .default(null)
      .describe('Classes that count as foreground; null: every label > 0 (PyMIC `RandomCrop_mask_label`)'),
  })
  .strict();

/**
 * A random window of fixed size from image and label, 2D or 3D, optionally centred on a random foreground pixel
 * with probability `foregroundRatio` (PyMIC's RandomCrop with foreground focus, as used for small structures).
 */
export class RandomCrop extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomCrop';
  static readonly description = 'Random fixed-size crop of image and label, optionally centred on foreground';
  static readonly reference = 'PyMIC transform.crop.RandomCrop';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    const size = requirePerAxis(sample, this.params.size, 'size', this.nodeName);
    const spatial = spatialSizeOf(sample);
    if (size.some((s, a) => s > spatial[a])) {
      throw new MicflowError('invalid-shape', `${sample.origin}: ${this.nodeName} crops ${size.join('×')} from an image of ${spatial.join('×')}`);
    }
    const offset = spatial.map((s, a) => random.integer(s - size[a] + 1));
    if (sample.label && random.uniform() < this.params.foregroundRatio) {
      const centre = randomForegroundPoint(sample.label, this.params.foregroundLabels, random);
      if (centre) centre.forEach((c, a) => (offset[a] = Math.min(Math.max(c - Math.floor(size[a] / 2), 0), spatial[a] - size[a])));
    }
    return applySpatialStepToSample(sample, { kind: 'window', inputSpatial: spatial, offset, outputSpatial: [...size] });
  }
}

/** Spatial index of a uniformly chosen foreground point (label in `classes`, or > 0), or undefined if there is none. */
export function randomForegroundPoint(label: LabelArray, classes: readonly number[] | null, random: SeededRandom): number[] | undefined {
  const wanted = classes ? new Set(classes) : undefined;
  let count = 0;
  for (const v of label.data) if (wanted ? wanted.has(v) : v > 0) count++;
  if (!count) return undefined;
  let pick = random.integer(count);
  let point = -1;
  for (let i = 0; i < label.data.length; i++) {
    const v = label.data[i];
    if ((wanted ? wanted.has(v) : v > 0) && pick-- === 0) {
      point = i;
      break;
    }
  }
  return spatialStrides(label.shape).map((stride, a) => Math.floor(point / stride) % label.shape[a]);
}

/** A 2D window [top, left, height, width] of an image [H, W, C] or label [H, W] (kept for callers of the 2D API). */
export function cropPlane<T extends ImageArray | LabelArray>(array: T, top: number, left: number, height: number, width: number): T {
  const isImage = array.shape.length === 3;
  const channels = isImage ? array.shape[2] : 1;
  const grid = cropOrPad({ data: array.data, spatial: array.shape.slice(0, 2), channels }, [top, left], [height, width]);
  return { data: grid.data, shape: isImage ? [height, width, channels] : [height, width] } as unknown as T;
}
