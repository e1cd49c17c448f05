import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { boundingBoxWhere } from '../../images/bounding-box.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    start: z
      .array(z.number().int())
      .min(2)
      .max(3)
      .nullable()
      .default(null)
      .describe("Corner of the box per spatial axis, in grid points; null: centre the box on the bounding box of the image's non-background (PyMIC `CropWithBoundingBox_start`)"),
    size: spatialSizeParam('Box size per spatial axis; parts outside the image are zero-padded (PyMIC `CropWithBoundingBox_output_size`)'),
    threshold: z.number().default(0).describe('With `start` null, the non-background is where the first channel exceeds this intensity'),
  })
  .strict();

/**
 * A fixed-size box of image and label (PyMIC's CropWithBoundingBox): at `start`, or centred on the bounding box of
 * the image's non-background (first channel > threshold). Parts outside the image are zero-padded.
 */
export class CropWithBoundingBox extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'CropWithBoundingBox';
  static readonly description = 'Fixed-size box at a given corner or centred on the non-background of the image';
  static readonly reference = 'PyMIC transform.crop.CropWithBoundingBox';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const size = [...requirePerAxis(sample, this.params.size, 'size', this.nodeName)];
    const spatial = spatialSizeOf(sample);
    let offset: number[];
    if (this.params.start) {
      offset = [...requirePerAxis(sample, this.params.start, 'start', this.nodeName)];
    } else {
      const { data, shape } = sample.image;
      const channels = shape[shape.length - 1];
      const box = boundingBoxWhere(spatial, (p) => data[p * channels] > this.params.threshold);
      const centre = box ? box.start.map((s, a) => (s + box.end[a]) / 2) : spatial.map((s) => s / 2);
      offset = centre.map((c, a) => Math.round(c - size[a] / 2));
    }
    return applySpatialStepToSample(sample, { kind: 'window', inputSpatial: spatial, offset, outputSpatial: size });
  }
}
