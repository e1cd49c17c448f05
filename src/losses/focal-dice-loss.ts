import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, type ActivatedLossOptions } from './loss-activation.js';
import { checkLossParameter, checkPixelWeights, checkPredictionAndTarget } from './loss-inputs.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export interface FocalDiceOptions extends ActivatedLossOptions {
  /** beta >= 1; larger beta flattens dice^(1/beta) and so focuses on the classes with low Dice. Default 2. */
  beta?: number;
}

/**
 * Focal Dice loss, channels last: prediction and one-hot target [N, ...spatial, C] float32.
 *   loss = 1 - mean_c dice_c^(1/beta)
 * with PyMIC's per-class soft Dice (smoothing 1e-5, pooled over the batch, pixel weights w = pixelWeight * mask).
 *
 * Reference: P. Wang, A. C. S. Chung, "Focal Dice Loss and Image Dilation for Brain Tumor Segmentation", DLMIA 2018;
 * PyMIC `FocalDiceLoss` (pymic/loss/seg/dice.py). Differentiable by tfjs autodiff.
 */
export function focalDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: FocalDiceOptions = {}): tf.Scalar {
  const name = 'focalDiceLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const beta = options.beta ?? 2;
  checkLossParameter(name, 'beta', beta, (v) => v >= 1, '>= 1');
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation ?? 'none'), [-1, classes]) as tf.Tensor2D;
    const y = tf.reshape(oneHot, [-1, classes]) as tf.Tensor2D;
    const dice = classwiseSoftDice(p, y, pixelWeightColumn(options, p.shape[0]));
    return tf.sub(1, tf.mean(positivePower(dice, 1 / beta))) as tf.Scalar;
  });
}
