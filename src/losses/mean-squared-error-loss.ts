import * as tf from '@tensorflow/tfjs-core';
import type { LabelledLossUnit } from './loss-unit.js';
import {
  predictionErrorLoss,
  predictionErrorLossParams,
  type PredictionErrorLossParams,
  type PredictionErrorOptions,
} from './prediction-error-loss.js';

/**
 * Mean squared error between prediction and (one-hot or soft) target, channels last [N, ...spatial, C] float32:
 * mean over classes (or class-weighted) of (p_ic - y_ic)^2, then the pixel-weighted mean with w = pixelWeight * mask.
 * Also the consistency loss of mean-teacher style semi-supervised methods.
 *
 * Reference: PyMIC `MSELoss` (pymic/loss/seg/mse.py); A. Tarvainen, H. Valpola, "Mean teachers are better role
 * models", NeurIPS 2017 (MSE consistency). Differentiable by tfjs autodiff.
 */
export function meanSquaredErrorLoss(prediction: tf.Tensor, target: tf.Tensor, options: PredictionErrorOptions): tf.Scalar {
  return predictionErrorLoss('meanSquaredErrorLoss', (p, y) => tf.square(tf.sub(p, y)), prediction, target, options);
}

export const meanSquaredErrorLossUnit: LabelledLossUnit<PredictionErrorLossParams> = {
  className: 'MSELoss',
  description: 'Mean squared error against one-hot labels, optional class weights',
  reference: 'PyMIC MSELoss (pymic/loss/seg/mse.py)',
  paramsSchema: predictionErrorLossParams,
  loss: meanSquaredErrorLoss,
};
