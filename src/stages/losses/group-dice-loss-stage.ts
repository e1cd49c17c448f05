import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { groupDiceLoss } from '../../losses/group-dice-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, groups: z.array(z.array(z.number().int().nonnegative()).min(1)).min(1).optional() }).strict();

/** Soft Dice over groups of classes (summed probabilities per group) (PyMIC GroupDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016). */
export class GroupDiceLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'GroupDiceLoss';
  static readonly description = 'Soft Dice over groups of classes (summed probabilities per group)';
  static readonly reference = 'PyMIC GroupDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return groupDiceLoss(prediction, oneHot, { ...options, groups: this.params.groups });
  }
}
