import { z } from 'zod';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import { resizeAffine } from '../../images/interpolation.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    size: spatialSizeParam('Output size per spatial axis (PyMIC `Rescale_output_size`)'),
  })
  .strict();

/**
 * Resizes image (linear) and label (nearest) to a fixed size (PyMIC's Rescale), point centres aligned as in
 * scipy's zoom with grid_mode=True / torch's align_corners=False. Spacing scales with it.
 */
export class Rescale extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'Rescale';
  static readonly description = 'Resize image (linear) and label (nearest) to a fixed size';
  static readonly reference = 'PyMIC transform.rescale.Rescale';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const outputSpatial = [...requirePerAxis(sample, this.params.size, 'size', this.nodeName)];
    return resizeSample(sample, outputSpatial);
  }
}

/** Resizes every spatial field of a sample to `outputSpatial`, recording an affine step. */
export function resizeSample(sample: ExtendedSample, outputSpatial: readonly number[]): ExtendedSample {
  const inputSpatial = spatialSizeOf(sample);
  if (outputSpatial.every((s, a) => s === inputSpatial[a])) return sample;
  return applySpatialStepToSample(sample, { kind: 'affine', inputSpatial, outputSpatial, outputToInput: resizeAffine(inputSpatial, outputSpatial) });
}
