import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classWeightsParam } from './class-weights-param.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkClassWeights, checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import { pixelWeightedMean } from './pixel-weighted-mean.js';

/** The params of the MAE and MSE losses. */
export const predictionErrorLossParams = z
  .object({
    activation: lossActivationParam,
    classWeights: classWeightsParam('the per-pixel error is Σ_c k_c e_c / Σ_c k_c instead of the mean over classes'),
  })
  .strict();
export type PredictionErrorLossParams = z.output<typeof predictionErrorLossParams>;
export type PredictionErrorOptions = PredictionErrorLossParams & PixelWeightOptions;

/**
 * The shared form of the MAE and MSE losses: an elementwise error e(p, y) averaged over classes (or class-weighted),
 * then over pixels with pixel weights w = pixelWeight * mask. As PyMIC's `MSELoss` / `MAELoss` (pymic/loss/seg/mse.py).
 */
export function predictionErrorLoss(
  name: string,
  error: (p: tf.Tensor, y: tf.Tensor) => tf.Tensor,
  prediction: tf.Tensor,
  target: tf.Tensor,
  options: PredictionErrorOptions,
): tf.Scalar {
  const classes = checkPredictionAndTarget(name, prediction, target);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, prediction, options);
  return tf.tidy(() => {
    const e = error(activatePrediction(prediction, options.activation), target);
    const k = options.classWeights;
    const perPixel =
      k === undefined
        ? tf.mean(e, -1)
        : tf.div(tf.sum(tf.mul(e, tf.tensor1d(k, 'float32')), -1), k.reduce((s, v) => s + v, 0));
    return pixelWeightedMean(perPixel, options);
  });
}
