import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { SampleTransformStage } from './sample-transform-stage.js';

const params = z
  .object({
    /** Only pixels whose first channel is above this value contribute to the mean and std (PyMIC's mask option). */
    maskThreshold: z.number().nullable().default(null),
  })
  .strict();

/**
 * Per-image, per-channel z-score normalisation: (x - mean) / std, as PyMIC's NormalizeWithMeanStd. With
 * `maskThreshold`, the statistics come from foreground pixels only (first channel above the threshold), which keeps
 * a large zero background from dominating them.
 */
export class NormalizeWithMeanStd extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'NormalizeWithMeanStd';
  static readonly description = 'Per-image, per-channel z-score intensity normalisation (optionally from a foreground mask)';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const { data, shape } = sample.image;
    const [h, w, c] = shape;
    const out = new Float32Array(data.length);
    const threshold = this.params.maskThreshold;
    for (let k = 0; k < c; k++) {
      let n = 0;
      let sum = 0;
      let sumSq = 0;
      for (let p = 0; p < h * w; p++) {
        if (threshold !== null && !(data[p * c] > threshold)) continue;
        const v = data[p * c + k];
        n++;
        sum += v;
        sumSq += v * v;
      }
      const mean = n ? sum / n : 0;
      const variance = n ? Math.max(sumSq / n - mean * mean, 0) : 0;
      const std = Math.sqrt(variance) + 1e-5;
      for (let p = 0; p < h * w; p++) out[p * c + k] = (data[p * c + k] - mean) / std;
    }
    return { ...sample, image: { data: out, shape } };
  }
}
