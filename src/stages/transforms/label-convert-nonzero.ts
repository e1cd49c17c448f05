import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { mapLabels } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z.object({}).strict();

/** Merges every non-zero label into class 1: a binary foreground/background task (PyMIC's LabelConvertNonzero). */
export class LabelConvertNonzero extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'LabelConvertNonzero';
  static readonly remapsLabels = true;
  static readonly description = 'Every non-zero label becomes 1';
  static readonly reference = 'PyMIC transform.label_convert.LabelConvertNonzero';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    return { ...sample, label: mapLabels(requireLabel(sample, this.nodeName), (v) => (v !== 0 ? 1 : 0)) };
  }
}
