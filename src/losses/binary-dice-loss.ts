import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';

export const binaryDiceLossParams = z.object({ activation: lossActivationParam }).strict();
export type BinaryDiceLossParams = z.output<typeof binaryDiceLossParams>;
export type BinaryDiceOptions = BinaryDiceLossParams & PixelWeightOptions;

/**
 * Binary Dice loss: every foreground class fused into one, channels last, prediction and one-hot target
 * [N, ...spatial, C] float32 with class 0 the background. With p_i = 1 - p_i0 and y_i = 1 - y_i0 (the foreground
 * probability and label) and pixel weights w = pixelWeight * mask,
 *   loss = 1 - (2 sum_i w_i p_i y_i + s) / (sum_i w_i p_i + sum_i w_i y_i + s),  s = 1e-5,
 * pooled over the whole batch. Useful when foreground classes are confusable but the object must be found.
 *
 * Reference: PyMIC `BinaryDiceLoss` (pymic/loss/seg/dice.py); soft Dice after Milletari et al., "V-Net", 3DV 2016.
 * Differentiable by tfjs autodiff.
 */
export function binaryDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: BinaryDiceOptions): tf.Scalar {
  const name = 'binaryDiceLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]);
    const y = tf.reshape(oneHot, [-1, classes]);
    const pixels = p.shape[0];
    const foregroundP = tf.sub(1, tf.slice(p, [0, 0], [pixels, 1])) as tf.Tensor2D;
    const foregroundY = tf.sub(1, tf.slice(y, [0, 0], [pixels, 1])) as tf.Tensor2D;
    const dice = classwiseSoftDice(foregroundP, foregroundY, pixelWeightColumn(options, pixels));
    return tf.sub(1, tf.sum(dice)) as tf.Scalar;
  });
}

export const binaryDiceLossUnit: LabelledLossUnit<BinaryDiceLossParams> = {
  className: 'BinaryDiceLoss',
  description: 'Soft Dice of all foreground classes fused into one',
  reference: 'PyMIC BinaryDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016',
  paramsSchema: binaryDiceLossParams,
  loss: binaryDiceLoss,
};
