import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { diceLoss } from '../../losses/dice-loss.js';
import { activatePrediction, lossActivations } from '../../losses/loss-activation.js';
import { oneHotFor } from './label-one-hot.js';
import { labelledLossInputs } from './segmentation-loss-stage.js';

const params = z
  .object({
    classWeights: z.array(z.number().nonnegative()).optional(),
    /** Applied to `prob` first; 'none' (default) because the Forward stage's `prob` is already softmax. */
    activation: z.enum(lossActivations).default('none'),
  })
  .strict();

/**
 * Soft Dice loss, 1 − mean class Dice over the batch (Milletari et al., "V-Net", 3DV 2016; PyMIC's DiceLoss).
 */
export class DiceLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'DiceLoss';
  static readonly description = 'Soft Dice loss on probabilities against a label map (V-Net, Milletari 2016)';
  static readonly reference = 'Milletari, Navab, Ahmadi. V-Net. 3DV 2016';
  static readonly paramsSchema = params;
  static readonly inputs = {
    prob: { type: 'tensor', description: 'probabilities [N, H, W, C]' },
    label: { type: 'tensor', description: 'label map [N, H, W] int32' },
    mask: labelledLossInputs.mask,
    pixelWeight: labelledLossInputs.pixelWeight,
  } as const;
  static readonly outputs = { loss: { type: 'scalar', description: 'the loss' } } as const;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const prediction = inputs.prob as tf.Tensor;
    const oneHot = oneHotFor(prediction, inputs.label as tf.Tensor, this.nodeName);
    return {
      loss: diceLoss(activatePrediction(prediction, this.params.activation), oneHot, {
        classWeights: this.params.classWeights,
        mask: inputs.mask as tf.Tensor | undefined,
        pixelWeight: inputs.pixelWeight as tf.Tensor | undefined,
      }),
    };
  }
}
