import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { expLogLoss } from '../../losses/exp-log-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, wDice: z.number().min(0).max(1).default(0.8), gamma: z.number().positive().default(0.3) }).strict();

/** Exponential logarithmic loss: weighted sum of exp-log Dice and exp-log cross-entropy (Wong et al. 3D Segmentation with Exponential Logarithmic Loss for Highly Unbalanced Object Sizes. MICCAI 2018). */
export class ExpLogLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'ExpLogLoss';
  static readonly description = 'Exponential logarithmic loss: weighted sum of exp-log Dice and exp-log cross-entropy';
  static readonly reference = 'Wong et al. 3D Segmentation with Exponential Logarithmic Loss for Highly Unbalanced Object Sizes. MICCAI 2018';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return expLogLoss(prediction, oneHot, { ...options, wDice: this.params.wDice, gamma: this.params.gamma });
  }
}
