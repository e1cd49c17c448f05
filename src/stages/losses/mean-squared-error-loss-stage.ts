import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { meanSquaredErrorLoss } from '../../losses/mean-squared-error-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, classWeights: z.array(z.number().nonnegative()).optional() }).strict();

/** Mean squared error against one-hot labels, optional class weights (PyMIC MSELoss (pymic/loss/seg/mse.py)). */
export class MSELoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'MSELoss';
  static readonly description = 'Mean squared error against one-hot labels, optional class weights';
  static readonly reference = 'PyMIC MSELoss (pymic/loss/seg/mse.py)';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return meanSquaredErrorLoss(prediction, oneHot, { ...options, classWeights: this.params.classWeights });
  }
}
