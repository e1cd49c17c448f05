import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { boundingBoxWhere } from '../../images/bounding-box.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requireLabel, requirePerAxis, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    foregroundLabels: z
      .array(z.number().int().nonnegative())
      .min(1)
      .nullable()
      .default(null)
      .describe('Classes that count as foreground; null: every label > 0 (PyMIC `CropWithForeground_labels`)'),
    margin: z
      .array(z.number().int().nonnegative())
      .min(2)
      .max(3)
      .nullable()
      .default(null)
      .describe("Extra grid points kept on each side of the foreground's bounding box, per spatial axis, clipped to the image; null: none (PyMIC `CropWithForeground_margin`)"),
  })
  .strict();

/**
 * Crops image and label to the bounding box of the foreground labels plus a margin (PyMIC's CropWithForeground);
 * a sample without foreground is left whole.
 */
export class CropWithForeground extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'CropWithForeground';
  static readonly description = 'Crop to the bounding box of the foreground labels plus a margin';
  static readonly reference = 'PyMIC transform.crop.CropWithForeground';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const label = requireLabel(sample, this.nodeName);
    const spatial = spatialSizeOf(sample);
    const margin = this.params.margin ? requirePerAxis(sample, this.params.margin, 'margin', this.nodeName) : spatial.map(() => 0);
    const wanted = this.params.foregroundLabels ? new Set(this.params.foregroundLabels) : undefined;
    const box = boundingBoxWhere(spatial, (p) => (wanted ? wanted.has(label.data[p]) : label.data[p] > 0));
    if (!box) return sample;
    const offset = box.start.map((s, a) => Math.max(0, s - margin[a]));
    const outputSpatial = box.end.map((e, a) => Math.min(spatial[a], e + margin[a]) - offset[a]);
    return applySpatialStepToSample(sample, { kind: 'window', inputSpatial: spatial, offset, outputSpatial });
  }
}
