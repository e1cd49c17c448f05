import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classWeightsParam } from './class-weights-param.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkClassWeights, checkPixelWeights, checkPredictionAndTarget, combinedPixelWeight, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';

export const tverskyLossParams = z
  .object({
    activation: lossActivationParam,
    alpha: z.number().nonnegative().default(0.3).describe('Weight of the false positives (Salehi et al. use 0.3 with beta 0.7; alpha = beta = 0.5 is the soft Dice loss)'),
    beta: z.number().nonnegative().default(0.7).describe('Weight of the false negatives: above alpha, missing foreground costs more than over-segmenting (recall over precision)'),
    classWeights: classWeightsParam('the loss is the class-weighted mean of the per-class losses 1 − TI_c'),
  })
  .strict()
  .refine((p) => p.alpha + p.beta > 0, { message: 'alpha and beta cannot both be 0 (the index would be 1 whatever the prediction)', path: ['beta'] });
export type TverskyLossParams = z.output<typeof tverskyLossParams>;

/** Smoothing added to numerator and denominator of every class's index, as the Dice loss's. */
const SMOOTH = 1e-5;

/**
 * Tversky loss, channels last: prediction and one-hot target [N, ...spatial, C] (2D or 3D), the whole batch one
 * volume per class. With pixel weight w_i = pixelWeight_i · mask_i (1 when not given) and p the activated prediction,
 * per class c:
 *   TP_c = Σ w p y,  FP_c = Σ w p (1 − y),  FN_c = Σ w (1 − p) y,
 *   TI_c = (TP_c + s) / (TP_c + α FP_c + β FN_c + s),  s = 1e-5,
 * and loss = mean_c (1 − TI_c), or Σ_c k_c (1 − TI_c) / Σ_c k_c with class weights k. With α = β = ½ the index is
 * the soft Dice coefficient (TP + ½(FP + FN) = ½(P + Y)); β > α trades precision for recall, for small structures.
 *
 * Reference: S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image segmentation using 3D fully
 * convolutional deep networks", MLMI 2017 (after A. Tversky, "Features of similarity", Psychological Review 1977).
 * Differentiable by tfjs autodiff.
 */
export function tverskyLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: TverskyLossParams & PixelWeightOptions): tf.Scalar {
  const name = 'tverskyLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, prediction, options);
  const classWeights = options.classWeights ?? new Array<number>(classes).fill(1);
  const weightTotal = classWeights.reduce((a, b) => a + b, 0);
  return tf.tidy(() => {
    const p = tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]);
    const y = tf.reshape(oneHot, [-1, classes]);
    const pixelWeight = combinedPixelWeight(options);
    const w = pixelWeight === undefined ? undefined : tf.reshape(pixelWeight, [-1, 1]);
    const total = (t: tf.Tensor) => tf.sum(w === undefined ? t : tf.mul(w, t), 0);
    const tp = total(tf.mul(p, y));
    const fp = total(tf.mul(p, tf.sub(1, y)));
    const fn = total(tf.mul(tf.sub(1, p), y));
    const index = tf.div(tf.add(tp, SMOOTH), tf.add(tf.add(tf.add(tp, tf.mul(fp, options.alpha)), tf.mul(fn, options.beta)), SMOOTH));
    const k = tf.div(tf.tensor1d(classWeights, 'float32'), weightTotal);
    return tf.sum(tf.mul(k, tf.sub(1, index))) as tf.Scalar;
  });
}

export const tverskyLossUnit: LabelledLossUnit<TverskyLossParams> = {
  className: 'TverskyLoss',
  description: 'Tversky loss: Dice with separate weights for false positives and false negatives (recall over precision)',
  reference: 'Salehi, Erdogmus, Gholipour. Tversky loss function for image segmentation using 3D FCNs. MLMI 2017',
  paramsSchema: tverskyLossParams,
  loss: tverskyLoss,
};
