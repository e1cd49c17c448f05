import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { crossEntropyLoss } from '../../losses/cross-entropy-loss.js';
import { oneHotFor } from './label-one-hot.js';
import { labelledLossInputs } from './segmentation-loss-stage.js';

const params = z.object({ classWeights: z.array(z.number().nonnegative()).optional() }).strict();

/**
 * Pixel-wise cross-entropy from logits (stable log-softmax), weighted mean over pixels, optional class weights and an
 * unannotated mask (PyTorch's nn.CrossEntropyLoss; PyMIC's CrossEntropyLoss).
 */
export class CrossEntropyLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'CrossEntropyLoss';
  static readonly description = 'Pixel-wise cross-entropy on logits against a label map, optional class weights';
  static readonly paramsSchema = params;
  static readonly inputs = {
    logits: { type: 'tensor', description: 'logits [N, H, W, C]' },
    label: { type: 'tensor', description: 'label map [N, H, W] int32' },
    mask: labelledLossInputs.mask,
    pixelWeight: labelledLossInputs.pixelWeight,
  } as const;
  static readonly outputs = { loss: { type: 'scalar', description: 'the loss' } } as const;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const logits = inputs.logits as tf.Tensor;
    return {
      loss: crossEntropyLoss(logits, oneHotFor(logits, inputs.label as tf.Tensor, this.nodeName), {
        classWeights: this.params.classWeights,
        mask: inputs.mask as tf.Tensor | undefined,
        pixelWeight: inputs.pixelWeight as tf.Tensor | undefined,
      }),
    };
  }
}
