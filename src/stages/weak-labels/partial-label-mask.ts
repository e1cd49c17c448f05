import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';

const params = z
  .object({
    unannotatedValue: z
      .number()
      .int()
      .nonnegative()
      .describe(
        "The label value of unannotated pixels. micflow's scribble generator and PyMIC's PartialLabelToProbability use the class count by default (5 for the bundled brain slices); 255 is another common choice",
      ),
  })
  .strict();

const partialLabelMaskInputs = {
  label: { type: 'tensor', description: 'partial label map [N, ...spatial] int32: classes and the unannotated value' },
} as const satisfies PortSpecs;
const partialLabelMaskOutputs = {
  label: { type: 'tensor', description: 'the label map with unannotated pixels set to 0 [N, ...spatial] int32' },
  mask: { type: 'tensor', description: '1 for annotated, 0 for unannotated pixels [N, ...spatial] float32' },
  annotatedFraction: { type: 'scalar', description: 'fraction of the batch pixels that are annotated (reported per tick)' },
} as const satisfies PortSpecs;

/**
 * Splits a batch of partial labels (scribbles: a class on annotated pixels, `unannotatedValue` elsewhere) into a
 * label map that every labelled loss can read (unannotated pixels set to class 0) and the annotation mask (1 annotated,
 * 0 unannotated). Fed to a loss's `label` and `mask` ports it gives the partial cross-entropy of scribble supervision,
 * which counts only the annotated pixels (Tang et al., "Normalized cut loss for weakly-supervised CNN segmentation",
 * CVPR 2018; Lin et al., "ScribbleSup", CVPR 2016; PyMIC's PartialLabelToProbability + pixel-weighted CE). The
 * placeholder class 0 of unannotated pixels never counts, since their mask is 0. No gradient flows (labels are int32).
 */
export class PartialLabelMask extends TensorStage<z.infer<typeof params>, typeof partialLabelMaskInputs> {
  static readonly className = 'PartialLabelMask';
  static readonly description = 'Partial (scribble) label map to a loss-ready label (unannotated → 0) and an annotation mask';
  static readonly reference = 'Tang et al. Normalized Cut Loss for Weakly-supervised CNN Segmentation. CVPR 2018 (partial cross-entropy)';
  static readonly paramsSchema = params;
  static readonly inputs = partialLabelMaskInputs;
  static readonly outputs = partialLabelMaskOutputs;

  override compute(inputs: InputsOf<typeof partialLabelMaskInputs>): Record<string, tf.Tensor> {
    const label = inputs.label;
    if (label.dtype !== 'int32') {
      throw new MicflowError('invalid-argument', `node "${this.nodeName}": label input must be an int32 label map, got ${label.dtype}`);
    }
    const annotated = tf.notEqual(label, tf.scalar(this.params.unannotatedValue, 'int32'));
    const mask = tf.cast(annotated, 'float32');
    return { label: tf.where(annotated, label, tf.zerosLike(label)), mask, annotatedFraction: tf.mean(mask) };
  }
}
