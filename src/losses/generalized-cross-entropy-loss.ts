import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { classWeightsParam } from './class-weights-param.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkClassWeights, checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightedMean } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export const generalizedCrossEntropyLossParams = z
  .object({
    activation: lossActivationParam,
    q: z.number().gt(0).max(1).default(0.5).describe('The exponent q in (0, 1]: q → 0 approaches cross-entropy, q = 1 is MAE-like (PyMIC `loss_gce_q`)'),
    classWeights: classWeightsParam("multiplies that class's term"),
  })
  .strict();
export type GeneralizedCrossEntropyLossParams = z.output<typeof generalizedCrossEntropyLossParams>;
export type GeneralizedCrossEntropyOptions = GeneralizedCrossEntropyLossParams & PixelWeightOptions;

/** Probabilities are floored at this before p^q, so p = 0 (softmax underflow) gives a finite gradient. */
const PROBABILITY_FLOOR = 1e-7;

/**
 * Generalized cross-entropy (L_q loss) for training with noisy labels, channels last: prediction and one-hot target
 * [N, ...spatial, C] float32. Per pixel i,
 *   gce_i = sum_c k_c y_ic (1 - p_ic^q) / q     (k_c = class weight, 1 by default),
 * and the loss is the pixel-weighted mean sum_i w_i gce_i / sum_i w_i with w = pixelWeight * mask (plain mean when
 * neither is given). Unannotated pixels (mask 0) contribute nothing. p = activation(prediction), floored at 1e-7.
 *
 * Reference: Z. Zhang, M. R. Sabuncu, "Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy
 * Labels", NeurIPS 2018; PyMIC `GeneralizedCELoss` (pymic/loss/seg/ce.py). Differentiable by tfjs autodiff.
 */
export function generalizedCrossEntropyLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: GeneralizedCrossEntropyOptions): tf.Scalar {
  const name = 'generalizedCrossEntropyLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, prediction, options);
  const { q } = options;
  return tf.tidy(() => {
    const p = tf.maximum(activatePrediction(prediction, options.activation), PROBABILITY_FLOOR);
    let perClass = tf.mul(oneHot, tf.div(tf.sub(1, positivePower(p, q)), q));
    if (options.classWeights !== undefined) perClass = tf.mul(perClass, tf.tensor1d(options.classWeights, 'float32'));
    return pixelWeightedMean(tf.sum(perClass, -1), options);
  });
}

export const generalizedCrossEntropyLossUnit: LabelledLossUnit<GeneralizedCrossEntropyLossParams> = {
  className: 'GeneralizedCrossEntropyLoss',
  description: 'Generalized cross-entropy (L_q) for noisy labels, optional class weights',
  reference: 'Zhang, Sabuncu. Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels. NeurIPS 2018',
  paramsSchema: generalizedCrossEntropyLossParams,
  loss: generalizedCrossEntropyLoss,
};
