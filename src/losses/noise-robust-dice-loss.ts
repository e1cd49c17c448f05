import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export const noiseRobustDiceLossParams = z
  .object({
    activation: lossActivationParam,
    gamma: z.number().min(1).max(2).default(1.5).describe("The exponent gamma in [1, 2]: 2 is the Dice loss's squared error, 1 the MAE-like, noise-robust end"),
  })
  .strict();
export type NoiseRobustDiceLossParams = z.output<typeof noiseRobustDiceLossParams>;
export type NoiseRobustDiceOptions = NoiseRobustDiceLossParams & PixelWeightOptions;

/** |p - y| is floored at this before ^gamma so that p = y gives a finite gradient (0 there). */
const DIFFERENCE_FLOOR = 1e-12;
const SMOOTH = 1e-5;

/**
 * Noise-robust Dice loss, channels last: prediction and one-hot target [N, ...spatial, C] float32. Per class c,
 *   L_c = sum_i w_i |p_ic - y_ic|^gamma / (sum_i w_i (p_ic + y_ic) + 1e-5),
 * pooled over the batch with pixel weights w = pixelWeight * mask, and loss = mean_c L_c. gamma = 2 gives (for binary
 * y) the soft Dice loss's numerator; gamma -> 1 gives an MAE-like loss that is robust to label noise.
 *
 * Reference: G. Wang et al., "A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From
 * CT Images", IEEE TMI 2020; PyMIC `NoiseRobustDiceLoss` (pymic/loss/seg/dice.py). Differentiable by tfjs autodiff.
 */
export function noiseRobustDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: NoiseRobustDiceOptions): tf.Scalar {
  const name = 'noiseRobustDiceLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const { gamma } = options;
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]);
    const y = tf.reshape(oneHot, [-1, classes]);
    const w = pixelWeightColumn(options, p.shape[0]);
    const numerator = tf.sum(tf.mul(w, positivePower(tf.maximum(tf.abs(tf.sub(p, y)), DIFFERENCE_FLOOR), gamma)), 0);
    const denominator = tf.add(tf.sum(tf.mul(w, tf.add(p, y)), 0), SMOOTH);
    return tf.mean(tf.div(numerator, denominator)) as tf.Scalar;
  });
}

export const noiseRobustDiceLossUnit: LabelledLossUnit<NoiseRobustDiceLossParams> = {
  className: 'NoiseRobustDiceLoss',
  description: 'Noise-robust Dice: |p - y|^gamma over p + y per class',
  reference: 'Wang et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 2020',
  paramsSchema: noiseRobustDiceLossParams,
  loss: noiseRobustDiceLoss,
};
