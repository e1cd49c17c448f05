import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, nonZeroDenominator, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export const expLogLossParams = z
  .object({
    activation: lossActivationParam,
    wDice: z.number().min(0).max(1).default(0.8).describe("Weight of the exp-log Dice term in [0, 1]; the cross-entropy term gets 1 − wDice (the paper's 0.8 / 0.2)"),
    gamma: z.number().positive().default(0.3).describe("Exponent gamma > 0 of both terms (the paper's 0.3)"),
    logGuard: z
      .enum(['pymic', 'pymic-legacy'])
      .default('pymic')
      .describe(
        "Affine map applied to the Dice scores and the probabilities before each log: 'pymic', 0.005 + 0.99 x as PyMIC's current exp_log.py; 'pymic-legacy', 0.01 + 0.98 x as PyMIC's earlier exp_log.py (micflow's ExpLogLoss before it followed the current one)",
      ),
  })
  .strict();
export type ExpLogLossParams = z.output<typeof expLogLossParams>;
export type ExpLogOptions = ExpLogLossParams & PixelWeightOptions;

/** The affine map g(x) = offset + scale x of each {@link ExpLogLossParams.logGuard} choice. */
export const EXP_LOG_GUARDS = {
  pymic: { offset: 0.005, scale: 0.99 },
  'pymic-legacy': { offset: 0.01, scale: 0.98 },
} as const satisfies Record<ExpLogLossParams['logGuard'], { offset: number; scale: number }>;

/**
 * Exponential logarithmic loss, channels last: prediction and one-hot target [N, ...spatial, C] float32.
 *   L_dice = mean_c (-log(g(dice_c)))^gamma
 *   L_ce   = mean_i sum_c y_ic k_c (-log(g(p_ic)))^gamma,  k_c = (mean_i y_ic + 0.1)^(-1/2)
 *   loss   = wDice L_dice + (1 - wDice) L_ce
 * dice_c is PyMIC's soft Dice (smoothing 1e-5). The affine map g keeps the logarithms finite, as PyMIC: by default
 * ('pymic') g(x) = 0.005 + 0.99 x, the constants of PyMIC's current pymic/loss/seg/exp_log.py, so g maps [0, 1] onto
 * [0.005, 0.995]; 'pymic-legacy' gives g(x) = 0.01 + 0.98 x ([0.01, 0.99]), the constants of PyMIC's earlier
 * exp_log.py, which micflow used before. The legacy map bounds -log g by 4.61 instead of 5.30 and so weighs confident
 * mistakes a little less.
 * With pixel weights w = pixelWeight * mask, the Dice sums, the class frequencies and the pixel mean are w-weighted.
 *
 * Reference: K. C. L. Wong, M. Moradi, H. Tang, T. Syeda-Mahmood, "3D Segmentation with Exponential Logarithmic Loss
 * for Highly Unbalanced Object Sizes", MICCAI 2018; PyMIC `ExpLogLoss` (pymic/loss/seg/exp_log.py).
 * Differentiable by tfjs autodiff; the class weights k depend only on the target.
 */
export function expLogLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ExpLogOptions): tf.Scalar {
  const name = 'expLogLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const { wDice, gamma } = options;
  const { offset, scale } = EXP_LOG_GUARDS[options.logGuard];
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]) as tf.Tensor2D;
    const y = tf.reshape(oneHot, [-1, classes]) as tf.Tensor2D;
    const w = pixelWeightColumn(options, p.shape[0]);
    const totalWeight = nonZeroDenominator(tf.sum(w));
    const dice = classwiseSoftDice(p, y, w);
    const expDice = tf.mean(positivePower(tf.neg(tf.log(tf.add(tf.mul(dice, scale), offset))), gamma));
    const frequency = tf.div(tf.sum(tf.mul(w, y), 0), totalWeight);
    const classWeight = positivePower(tf.add(frequency, 0.1), -0.5);
    const logTerm = positivePower(tf.neg(tf.log(tf.add(tf.mul(p, scale), offset))), gamma);
    const perPixel = tf.sum(tf.mul(tf.mul(y, classWeight), logTerm), 1, true); // [pixels, 1]
    const expCe = tf.div(tf.sum(tf.mul(w, perPixel)), totalWeight);
    return tf.add(tf.mul(expDice, wDice), tf.mul(expCe, 1 - wDice)) as tf.Scalar;
  });
}

export const expLogLossUnit: LabelledLossUnit<ExpLogLossParams> = {
  className: 'ExpLogLoss',
  description: 'Exponential logarithmic loss: weighted sum of exp-log Dice and exp-log cross-entropy',
  reference: 'Wong et al. 3D Segmentation with Exponential Logarithmic Loss for Highly Unbalanced Object Sizes. MICCAI 2018',
  paramsSchema: expLogLossParams,
  loss: expLogLoss,
};
