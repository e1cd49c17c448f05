import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, type ActivatedLossOptions } from './loss-activation.js';
import { checkLossParameter, checkPixelWeights, checkPredictionAndTarget, nonZeroDenominator } from './loss-inputs.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export interface ExpLogOptions extends ActivatedLossOptions {
  /** Weight of the Dice term; the cross-entropy term gets 1 - wDice. Default 0.8 (the paper's 0.8 / 0.2). */
  wDice?: number;
  /** Exponent gamma > 0 of both terms. Default 0.3 (the paper's choice). */
  gamma?: number;
}

/**
 * Exponential logarithmic loss, channels last: prediction and one-hot target [N, ...spatial, C] float32.
 *   L_dice = mean_c (-log(0.01 + 0.98 dice_c))^gamma
 *   L_ce   = mean_i sum_c y_ic k_c (-log(0.01 + 0.98 p_ic))^gamma,  k_c = (mean_i y_ic + 0.1)^(-1/2)
 *   loss   = wDice L_dice + (1 - wDice) L_ce
 * dice_c is PyMIC's soft Dice (smoothing 1e-5). The affine maps 0.01 + 0.98 x keep the logarithms finite, as PyMIC.
 * With pixel weights w = pixelWeight * mask, the Dice sums, the class frequencies and the pixel mean are w-weighted.
 *
 * Reference: K. C. L. Wong, M. Moradi, H. Tang, T. Syeda-Mahmood, "3D Segmentation with Exponential Logarithmic Loss
 * for Highly Unbalanced Object Sizes", MICCAI 2018; PyMIC `ExpLogLoss` (pymic/loss/seg/exp_log.py).
 * Differentiable by tfjs autodiff; the class weights k depend only on the target.
 */
export function expLogLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ExpLogOptions = {}): tf.Scalar {
  const name = 'expLogLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const wDice = options.wDice ?? 0.8;
  const gamma = options.gamma ?? 0.3;
  checkLossParameter(name, 'wDice', wDice, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  checkLossParameter(name, 'gamma', gamma, (v) => v > 0, '> 0');
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation ?? 'none'), [-1, classes]) as tf.Tensor2D;
    const y = tf.reshape(oneHot, [-1, classes]) as tf.Tensor2D;
    const w = pixelWeightColumn(options, p.shape[0]);
    const totalWeight = nonZeroDenominator(tf.sum(w));
    const dice = classwiseSoftDice(p, y, w);
    const expDice = tf.mean(positivePower(tf.neg(tf.log(tf.add(tf.mul(dice, 0.98), 0.01))), gamma));
    const frequency = tf.div(tf.sum(tf.mul(w, y), 0), totalWeight);
    const classWeight = positivePower(tf.add(frequency, 0.1), -0.5);
    const logTerm = positivePower(tf.neg(tf.log(tf.add(tf.mul(p, 0.98), 0.01))), gamma);
    const perPixel = tf.sum(tf.mul(tf.mul(y, classWeight), logTerm), 1, true); // [pixels, 1]
    const expCe = tf.div(tf.sum(tf.mul(w, perPixel)), totalWeight);
    return tf.add(tf.mul(expDice, wDice), tf.mul(expCe, 1 - wDice)) as tf.Scalar;
  });
}
