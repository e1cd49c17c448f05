import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { requirePerAxis, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    spacing: z
      .array(z.number().positive())
      .min(2)
      .max(3)
      .describe("Target spacing in mm per spatial axis, in the image's axis order ([rows, columns] or [slices, rows, columns])"),
  })
  .strict();

/**
 * Resamples to a target spacing (nnU-Net's spacing normalisation): output size round(size × spacing / target);
 * the first grid point stays at the image origin (as ITK's ResampleImageFilter with the same origin) and the output
 * spacing is exactly the target. Samples without spacing count as 1 mm.
 */
export class Resample extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'Resample';
  static readonly description = 'Resample image (linear) and label (nearest) to a target spacing';
  static readonly reference = 'Isensee et al., nnU-Net, Nature Methods 2021';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const target = requirePerAxis(sample, this.params.spacing, 'spacing', this.nodeName);
    const inputSpatial = spatialSizeOf(sample);
    const spacing = sample.spacing ?? inputSpatial.map(() => 1);
    const outputSpatial = inputSpatial.map((s, a) => Math.max(1, Math.round((s * spacing[a]) / target[a])));
    const n = inputSpatial.length;
    // Point 0 of both grids at the same physical place (the image origin), step target/spacing input points.
    const outputToInput = new Array<number>(n * (n + 1)).fill(0);
    for (let a = 0; a < n; a++) outputToInput[a * (n + 1) + a] = target[a] / spacing[a];
    return applySpatialStepToSample(sample, { kind: 'affine', inputSpatial, outputSpatial, outputToInput });
  }
}
