import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export const focalDiceLossParams = z
  .object({
    activation: lossActivationParam,
    beta: z.number().min(1).default(2).describe('Focus exponent beta ≥ 1: a larger beta flattens dice^(1/beta) and so weighs the classes with low Dice more'),
  })
  .strict();
export type FocalDiceLossParams = z.output<typeof focalDiceLossParams>;
export type FocalDiceOptions = FocalDiceLossParams & PixelWeightOptions;

/**
 * Focal Dice loss, channels last: prediction and one-hot target [N, ...spatial, C] float32.
 *   loss = 1 - mean_c dice_c^(1/beta)
 * with PyMIC's per-class soft Dice (smoothing 1e-5, pooled over the batch, pixel weights w = pixelWeight * mask).
 *
 * Reference: P. Wang, A. C. S. Chung, "Focal Dice Loss and Image Dilation for Brain Tumor Segmentation", DLMIA 2018;
 * PyMIC `FocalDiceLoss` (pymic/loss/seg/dice.py). Differentiable by tfjs autodiff.
 */
export function focalDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: FocalDiceOptions): tf.Scalar {
  const name = 'focalDiceLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const { beta } = options;
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]) as tf.Tensor2D;
    const y = tf.reshape(oneHot, [-1, classes]) as tf.Tensor2D;
    const dice = classwiseSoftDice(p, y, pixelWeightColumn(options, p.shape[0]));
    return tf.sub(1, tf.mean(positivePower(dice, 1 / beta))) as tf.Scalar;
  });
}

export const focalDiceLossUnit: LabelledLossUnit<FocalDiceLossParams> = {
  className: 'FocalDiceLoss',
  description: 'Focal Dice: 1 - mean of dice^(1/beta), focusing on hard classes',
  reference: 'Wang, Chung. Focal Dice Loss and Image Dilation for Brain Tumor Segmentation. DLMIA 2018',
  paramsSchema: focalDiceLossParams,
  loss: focalDiceLoss,
};
