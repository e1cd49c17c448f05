import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activatePrediction, type ActivatedLossOptions } from '../../losses/loss-activation.js';
import { diceLoss } from '../../losses/dice-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, classWeights: z.array(z.number().nonnegative()).optional() }).strict();

/**
 * Soft Dice loss, 1 − mean class Dice pooled over the batch (Milletari et al., "V-Net", 3DV 2016; PyMIC's DiceLoss), on
 * the activated prediction (softmax of logits by default), with class weights, pixel weights and an unannotated mask.
 */
export class DiceLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'DiceLoss';
  static readonly description = 'Soft Dice loss against a label map (V-Net, Milletari 2016), class/pixel weights, mask';
  static readonly reference = 'Milletari, Navab, Ahmadi. V-Net. 3DV 2016';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return diceLoss(activatePrediction(prediction, options.activation ?? 'none'), oneHot, {
      classWeights: this.params.classWeights,
      pixelWeight: options.pixelWeight,
      mask: options.mask,
    });
  }
}
