import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { meanAbsoluteErrorLoss } from '../../losses/mean-absolute-error-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, classWeights: z.array(z.number().nonnegative()).optional() }).strict();

/** Mean absolute error against one-hot labels, optional class weights (Ghosh, Kumar, Sastry. Robust Loss Functions under Label Noise for Deep Neural Networks. AAAI 2017). */
export class MAELoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'MAELoss';
  static readonly description = 'Mean absolute error against one-hot labels, optional class weights';
  static readonly reference = 'Ghosh, Kumar, Sastry. Robust Loss Functions under Label Noise for Deep Neural Networks. AAAI 2017';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return meanAbsoluteErrorLoss(prediction, oneHot, { ...options, classWeights: this.params.classWeights });
  }
}
