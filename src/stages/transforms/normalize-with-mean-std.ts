import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { channelCount, channelValues, mapChannels, meanAndStd } from '../../images/intensity-statistics.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    maskThreshold: z
      .number()
      .nullable()
      .default(null)
      .describe('Only pixels whose first channel is above this intensity contribute to the mean and std; null: every pixel (PyMIC `NormalizeWithMeanStd_mask_threshold`)'),
    mean: z
      .array(z.number())
      .min(1)
      .nullable()
      .default(null)
      .describe("Fixed mean per channel (repeated cyclically over the channels) instead of the image's own; null: the image's own (PyMIC `NormalizeWithMeanStd_mean`)"),
    std: z
      .array(z.number().positive())
      .min(1)
      .nullable()
      .default(null)
      .describe("Fixed standard deviation per channel (repeated cyclically), used as given, instead of the image's own + 1e-5; null: the image's own (PyMIC `NormalizeWithMeanStd_std`)"),
    perSlice: z
      .boolean()
      .default(false)
      .describe('3D images: the statistics of each axial slice (first axis) normalise that slice, as a 2D network trained on normalised slices saw them; 2D images: no change'),
  })
  .strict();

/**
 * Per-image, per-channel z-score normalisation: (x - mean) / (std + 1e-5), as PyMIC's NormalizeWithMeanStd (a fixed
 * `std` is used as given). With
 * `maskThreshold`, the statistics come from foreground pixels only (first channel above the threshold), which keeps
 * a large zero background from dominating them. 2D and 3D.
 */
export class NormalizeWithMeanStd extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'NormalizeWithMeanStd';
  static readonly description = 'Per-image, per-channel z-score intensity normalisation (optionally from a foreground mask)';
  static readonly reference = 'PyMIC transform.normalize.NormalizeWithMeanStd';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const { image } = sample;
    if (!this.params.perSlice || image.shape.length !== 4) return { ...sample, image: this.normalise(image) };
    const [depth, ...sliceShape] = image.shape;
    const sliceLength = image.data.length / depth;
    const data = new Float32Array(image.data.length);
    for (let z = 0; z < depth; z++) {
      const slice = { data: image.data.subarray(z * sliceLength, (z + 1) * sliceLength), shape: sliceShape };
      data.set(this.normalise(slice).data, z * sliceLength);
    }
    return { ...sample, image: { data, shape: image.shape } };
  }

  private normalise(image: Sample['image']): Sample['image'] {
    const c = channelCount(image);
    const threshold = this.params.maskThreshold;
    const include = threshold === null ? undefined : (p: number) => image.data[p * c] > threshold;
    const normalised = mapChannels(image, (k) => {
      const own = this.params.mean && this.params.std ? undefined : meanAndStd(channelValues(image, k, include));
      const mean = this.params.mean?.[k % this.params.mean.length] ?? own!.mean;
      const std = this.params.std?.[k % this.params.std.length] ?? own!.std + 1e-5;
      return (v) => (v - mean) / std;
    });
    return normalised;
  }
}
