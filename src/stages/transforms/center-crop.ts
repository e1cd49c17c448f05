import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    size: spatialSizeParam('Output size per spatial axis; an axis smaller than this is zero-padded symmetrically instead (PyMIC `CenterCrop_output_size`)'),
  })
  .strict();

/** The central window of a fixed size (PyMIC's CenterCrop); the window start is floor((in − out) / 2). */
export class CenterCrop extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'CenterCrop';
  static readonly description = 'Central fixed-size window of image and label (pads axes that are too small)';
  static readonly reference = 'PyMIC transform.crop.CenterCrop';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const outputSpatial = [...requirePerAxis(sample, this.params.size, 'size', this.nodeName)];
    const inputSpatial = spatialSizeOf(sample);
    const offset = inputSpatial.map((s, a) => Math.floor((s - outputSpatial[a]) / 2));
    return applySpatialStepToSample(sample, { kind: 'window', inputSpatial, offset, outputSpatial });
  }
}
