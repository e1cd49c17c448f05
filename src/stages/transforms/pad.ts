import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    size: spatialSizeParam('Minimum output size per spatial axis; axes already at least this large are left alone (PyMIC `Pad_output_size`)'),
  })
  .strict();

/**
 * Zero-pads image and label symmetrically (the extra pixel, if odd, goes after) up to a minimum size, as PyMIC's
 * Pad. Records a `window` step so predictions can be cropped back.
 */
export class Pad extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'Pad';
  static readonly description = 'Zero-pads image and label symmetrically up to a minimum spatial size';
  static readonly reference = 'PyMIC transform.pad.Pad';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const size = requirePerAxis(sample, this.params.size, 'size', this.nodeName);
    const inputSpatial = spatialSizeOf(sample);
    const outputSpatial = inputSpatial.map((s, a) => Math.max(s, size[a]));
    if (outputSpatial.every((s, a) => s === inputSpatial[a])) return sample;
    const offset = inputSpatial.map((s, a) => 0 - Math.floor((outputSpatial[a] - s) / 2) || 0);
    return applySpatialStepToSample(sample, { kind: 'window', inputSpatial, offset, outputSpatial });
  }
}
