import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { focalDiceLoss } from '../../losses/focal-dice-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, beta: z.number().min(1).default(2) }).strict();

/** Focal Dice: 1 - mean of dice^(1/beta), focusing on hard classes (Wang, Chung. Focal Dice Loss and Image Dilation for Brain Tumor Segmentation. DLMIA 2018). */
export class FocalDiceLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'FocalDiceLoss';
  static readonly description = 'Focal Dice: 1 - mean of dice^(1/beta), focusing on hard classes';
  static readonly reference = 'Wang, Chung. Focal Dice Loss and Image Dilation for Brain Tumor Segmentation. DLMIA 2018';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return focalDiceLoss(prediction, oneHot, { ...options, beta: this.params.beta });
  }
}
