import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { generalizedCrossEntropyLoss } from '../../losses/generalized-cross-entropy-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, q: z.number().gt(0).max(1).default(0.5), classWeights: z.array(z.number().nonnegative()).optional() }).strict();

/** Generalized cross-entropy (L_q) for noisy labels, optional class weights (Zhang, Sabuncu. Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels. NeurIPS 2018). */
export class GeneralizedCrossEntropyLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'GeneralizedCrossEntropyLoss';
  static readonly description = 'Generalized cross-entropy (L_q) for noisy labels, optional class weights';
  static readonly reference = 'Zhang, Sabuncu. Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels. NeurIPS 2018';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return generalizedCrossEntropyLoss(prediction, oneHot, { ...options, q: this.params.q, classWeights: this.params.classWeights });
  }
}
