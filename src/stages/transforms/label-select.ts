import { z } from 'zod';
import type { Sample } from '../../graph/sample.js';
import { mapLabels } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z
  .object({
    labels: z.array(z.number().int().positive()).min(1).describe('The classes to keep; every other value becomes background 0'),
    renumber: z.boolean().default(false).describe('Renumber the kept classes 1, 2, … in the order listed, instead of keeping their values'),
  })
  .strict();

/** Keeps a subset of the classes (the rest becomes background), optionally renumbered 1..k (PyMIC's LabelSelect). */
export class LabelSelect extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'LabelSelect';
  static readonly remapsLabels = true;
  static readonly description = 'Keep some classes, set the others to background';
  static readonly reference = 'PyMIC transform.label_convert.LabelSelect';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const position = new Map(this.params.labels.map((l, i) => [l, i + 1]));
    const convert = (v: number) => (position.has(v) ? (this.params.renumber ? position.get(v)! : v) : 0);
    return { ...sample, label: mapLabels(requireLabel(sample, this.nodeName), convert) };
  }
}
