import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { mapLabels } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z
  .object({
    sourceLabels: z.array(z.number().int()).min(1).describe('Label values to replace, position for position by `targetLabels` (PyMIC `LabelConvert_source_list`)'),
    targetLabels: z
      .array(z.number().int().nonnegative())
      .min(1)
      .describe('The values that replace `sourceLabels`, position for position; values not listed are kept (PyMIC `LabelConvert_target_list`)'),
  })
  .strict()
  .refine((p) => p.sourceLabels.length === p.targetLabels.length, { message: 'sourceLabels and targetLabels must have the same length' });

/** Replaces label values by a lookup list, e.g. merging classes (PyMIC's LabelConvert: source_list → target_list). */
export class LabelConvert extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'LabelConvert';
  static readonly remapsLabels = true;
  static readonly description = 'Replace label values by a source → target list';
  static readonly reference = 'PyMIC transform.label_convert.LabelConvert';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const label = requireLabel(sample, this.nodeName);
    const table = new Map(this.params.sourceLabels.map((s, i) => [s, this.params.targetLabels[i]]));
    return { ...sample, label: mapLabels(label, (v) => table.get(v) ?? v) };
  }
}
