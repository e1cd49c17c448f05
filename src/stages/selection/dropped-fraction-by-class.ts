import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { ProbeStage, type InputsOf } from '../../graph/stage.js';

const params = z
  .object({
    classNames: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a class name must start with a letter and hold only letters, digits and underscores'))
      .min(2)
      .refine((names) => new Set(names).size === names.length, { message: 'class names must be distinct' })
      .refine((names) => !names.includes('overall'), { message: '"overall" is the port of the overall fraction; rename the class' })
      .describe('One name per class label 0..K−1, background first, distinct and not "overall"; each becomes an output port (letters, digits, underscores)'),
  })
  .strict();

type DroppedFractionByClassParams = z.infer<typeof params>;

const droppedFractionByClassInputs = {
  mask: { type: 'tensor', description: 'selection mask [N, ...spatial], 1 kept, 0 left out' },
  label: { type: 'tensor', description: 'label map [N, ...spatial] (class indices)' },
} as const satisfies PortSpecs;
/** The overall fraction left out (reported under the node's own name); `outputsFor` adds one scalar per class. */
const droppedFractionByClassOutputs = { overall: { type: 'scalar', description: 'fraction of all pixels left out' } } as const satisfies PortSpecs;

/**
 * Diagnostic for selection masks: per class, the fraction of that class's labelled pixels the mask leaves out (mask 0),
 * over the batch; 0 when the class is absent from the batch (nothing of it was dropped). Wire it beside a
 * SmallLossSelection, ConfidentLearningMask or UncertaintyMask to see *what* a method discards: small-loss selection
 * (Han et al., "Co-teaching", NeurIPS 2018) assumes the large-loss pixels are the mislabelled ones, which fails when
 * the hard, correctly labelled pixels (small structures, boundaries) outnumber the corrupted ones. Each class is an
 * output scalar named after it, so it shows in the run's terms as `<node>.<class>`, beside the overall fraction as `<node>`. A probe: it feeds nothing and
 * runs with the optimiser whose loss depends on its inputs.
 */
export class DroppedFractionByClass extends ProbeStage<DroppedFractionByClassParams, typeof droppedFractionByClassInputs> {
  static readonly className = 'DroppedFractionByClass';
  static readonly description = 'Per class, the fraction of its labelled pixels that a 0/1 selection mask leaves out (diagnostic, no gradient)';
  static readonly reference = 'Han et al. Co-teaching. NeurIPS 2018 (the small-loss assumption this checks)';
  static readonly paramsSchema = params;
  static readonly inputs = droppedFractionByClassInputs;
  static readonly outputs = droppedFractionByClassOutputs;

  static outputsFor(p: DroppedFractionByClassParams): PortSpecs {
    return {
      ...droppedFractionByClassOutputs,
      ...Object.fromEntries(p.classNames.map((name, c) => [name, { type: 'scalar', description: `fraction of class ${c} (${name}) pixels left out` }])),
    };
  }

  override compute(inputs: InputsOf<typeof droppedFractionByClassInputs>): Record<string, tf.Tensor> {
    const { mask, label } = inputs;
    if (mask.shape.join('x') !== label.shape.join('x')) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": mask [${mask.shape}] and label [${label.shape}] must have the same shape`);
    }
    const dropped = tf.sub(1, tf.cast(mask, 'float32'));
    const labels = tf.cast(label, 'int32');
    return {
      overall: tf.mean(dropped),
      ...Object.fromEntries(
        this.params.classNames.map((name, c) => {
          const isClass = tf.cast(tf.equal(labels, tf.scalar(c, 'int32')), 'float32');
          return [name, tf.div(tf.sum(tf.mul(dropped, isClass)), tf.maximum(tf.sum(isClass), 1))];
        }),
      ),
    };
  }
}
