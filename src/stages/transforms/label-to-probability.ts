import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import { oneHotProbabilities } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z
  .object({
    classes: z.number().int().min(2).describe('Number of classes, the channels of the one-hot map; label values must lie in [0, classes) (PyMIC `LabelToProbability_class_num`)'),
  })
  .strict();

/**
 * One-hot soft label [...spatial, classes] from the label map, kept alongside it as `labelProbability`
 * (PyMIC's LabelToProbability), for losses that take probabilities and for label smoothing.
 */
export class LabelToProbability extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'LabelToProbability';
  static readonly description = 'One-hot probability map from the label map';
  static readonly reference = 'PyMIC transform.label_convert.LabelToProbability';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const label = requireLabel(sample, this.nodeName);
    const outside = (v: number): never => {
      throw new MicflowError('invalid-data', `${sample.origin}: label value ${v} is outside the ${this.params.classes} classes of ${this.nodeName}`);
    };
    return { ...sample, labelProbability: oneHotProbabilities(label, this.params.classes, outside) } as ExtendedSample;
  }
}
