import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { noiseRobustDiceLoss } from '../../losses/noise-robust-dice-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, gamma: z.number().min(1).max(2).default(1.5) }).strict();

/** Noise-robust Dice: |p - y|^gamma over p + y per class (Wang et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 2020). */
export class NoiseRobustDiceLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'NoiseRobustDiceLoss';
  static readonly description = 'Noise-robust Dice: |p - y|^gamma over p + y per class';
  static readonly reference = 'Wang et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 2020';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return noiseRobustDiceLoss(prediction, oneHot, { ...options, gamma: this.params.gamma });
  }
}
