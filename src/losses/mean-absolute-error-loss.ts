import * as tf from '@tensorflow/tfjs-core';
import type { LabelledLossUnit } from './loss-unit.js';
import {
  predictionErrorLoss,
  predictionErrorLossParams,
  type PredictionErrorLossParams,
  type PredictionErrorOptions,
} from './prediction-error-loss.js';

/**
 * Mean absolute error between prediction and (one-hot or soft) target, channels last [N, ...spatial, C] float32:
 * mean over classes (or class-weighted) of |p_ic - y_ic|, then the pixel-weighted mean with w = pixelWeight * mask.
 * Robust to label noise: the gradient magnitude does not grow with the error.
 *
 * Reference: A. Ghosh, H. Kumar, P. S. Sastry, "Robust Loss Functions under Label Noise for Deep Neural Networks",
 * AAAI 2017; PyMIC `MAELoss` (pymic/loss/seg/mse.py). Differentiable by tfjs autodiff (sign(0) = 0 at p = y).
 */
export function meanAbsoluteErrorLoss(prediction: tf.Tensor, target: tf.Tensor, options: PredictionErrorOptions): tf.Scalar {
  return predictionErrorLoss('meanAbsoluteErrorLoss', (p, y) => tf.abs(tf.sub(p, y)), prediction, target, options);
}

export const meanAbsoluteErrorLossUnit: LabelledLossUnit<PredictionErrorLossParams> = {
  className: 'MAELoss',
  description: 'Mean absolute error against one-hot labels, optional class weights',
  reference: 'Ghosh, Kumar, Sastry. Robust Loss Functions under Label Noise for Deep Neural Networks. AAAI 2017',
  paramsSchema: predictionErrorLossParams,
  loss: meanAbsoluteErrorLoss,
};
