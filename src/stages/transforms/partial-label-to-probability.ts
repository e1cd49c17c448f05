import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import { oneHotProbabilities } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z
  .object({
    classes: z.number().int().min(2).describe('Number of classes; annotated values lie in [0, classes) (PyMIC `PartialLabelToProbability_class_num`)'),
    unannotatedValue: z
      .number()
      .int()
      .nullable()
      .default(null)
      .describe('The label value marking unannotated pixels in scribble/partial labels; null: the class count, as in PyMIC'),
  })
  .strict();

/**
 * For partial labels (scribbles): a one-hot soft label on annotated pixels, zeros on unannotated ones, and a pixel
 * weight map of 1 (annotated) / 0 (unannotated) so a partial cross-entropy only counts the annotation
 * (PyMIC's PartialLabelToProbability; Tang et al., "Normalized cut loss for weakly-supervised CNN segmentation", CVPR 2018).
 */
export class PartialLabelToProbability extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'PartialLabelToProbability';
  static readonly description = 'Soft label and annotated-pixel mask from scribble/partial labels';
  static readonly reference = 'PyMIC transform.label_convert.PartialLabelToProbability';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const label = requireLabel(sample, this.nodeName);
    const unannotated = this.params.unannotatedValue ?? this.params.classes;
    const outside = (v: number): never => {
      throw new MicflowError(
        'invalid-data',
        `${sample.origin}: label value ${v} is neither one of the ${this.params.classes} classes nor the unannotated value ${unannotated} (${this.nodeName})`,
      );
    };
    const labelProbability = oneHotProbabilities(label, this.params.classes, outside, unannotated);
    const weight = new Float32Array(label.data.length);
    for (let p = 0; p < weight.length; p++) weight[p] = label.data[p] === unannotated ? 0 : 1;
    return { ...sample, labelProbability, pixelWeight: { data: weight, shape: [...label.shape, 1] } } as ExtendedSample;
  }
}
