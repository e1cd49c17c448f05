import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { binaryDiceLoss } from '../../losses/binary-dice-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam }).strict();

/** Soft Dice of all foreground classes fused into one (PyMIC BinaryDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016). */
export class BinaryDiceLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'BinaryDiceLoss';
  static readonly description = 'Soft Dice of all foreground classes fused into one';
  static readonly reference = 'PyMIC BinaryDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return binaryDiceLoss(prediction, oneHot, { ...options });
  }
}
