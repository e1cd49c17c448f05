import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { ImageArray, LabelArray, Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    /** Output [height, width]; must not exceed the image. */
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    /**
     * Probability of centring the crop on a random foreground pixel (label > 0) instead of a uniform position
     * (PyMIC's RandomCrop `foreground_focus` / `foreground_ratio`). Needs labels.
     */
    foregroundRatio: z.number().min(0).max(1).default(0),
  })
  .strict();

/** A random window of fixed size from image and label, optionally biased toward foreground. */
export class RandomCrop extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomCrop';
  static readonly description = 'Random fixed-size crop of image and label, optionally centred on foreground';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    const [h, w] = sample.image.shape;
    const [ch, cw] = this.params.size;
    if (ch > h || cw > w) {
      throw new MicflowError('invalid-shape', `${sample.origin}: ${this.nodeName} crops ${ch}×${cw} from an image of ${h}×${w}`);
    }
    let top = random.integer(h - ch + 1);
    let left = random.integer(w - cw + 1);
    if (sample.label && random.uniform() < this.params.foregroundRatio) {
      const foreground: number[] = [];
      sample.label.data.forEach((v, i) => v > 0 && foreground.push(i));
      if (foreground.length) {
        const p = foreground[random.integer(foreground.length)];
        const cy = Math.floor(p / w);
        const cx = p % w;
        top = Math.min(Math.max(cy - Math.floor(ch / 2), 0), h - ch);
        left = Math.min(Math.max(cx - Math.floor(cw / 2), 0), w - cw);
      }
    }
    return {
      ...sample,
      image: cropPlane(sample.image, top, left, ch, cw),
      label: sample.label ? cropPlane(sample.label, top, left, ch, cw) : undefined,
    };
  }
}

export function cropPlane<T extends ImageArray | LabelArray>(array: T, top: number, left: number, height: number, width: number): T {
  const w = array.shape[1];
  const c = array.shape.length === 3 ? (array.shape as readonly number[])[2] : 1;
  const out = new (array.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(height * width * c);
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * w + left) * c;
    out.set(array.data.subarray(start, start + width * c), y * width * c);
  }
  const shape = array.shape.length === 3 ? [height, width, c] : [height, width];
  return { data: out, shape } as unknown as T;
}
