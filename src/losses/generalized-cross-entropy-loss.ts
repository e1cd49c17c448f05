import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { activatePrediction, type ActivatedLossOptions } from './loss-activation.js';
import { checkClassWeights, checkLossParameter, checkPixelWeights, checkPredictionAndTarget } from './loss-inputs.js';
import { pixelWeightedMean } from './pixel-weighted-mean.js';
import { positivePower } from './positive-power.js';

export interface GeneralizedCrossEntropyOptions extends ActivatedLossOptions {
  /** The exponent q in (0, 1]: q -> 0 approaches cross-entropy, q = 1 is MAE-like. Default 0.5 (PyMIC's `loss_gce_q`). */
  q?: number;
  /** One weight per class multiplying that class's term (PyMIC's `loss_class_weight`). */
  classWeights?: readonly number[];
}

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
export function generalizedCrossEntropyLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: GeneralizedCrossEntropyOptions = {}): tf.Scalar {
  const name = 'generalizedCrossEntropyLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, prediction, options);
  const q = options.q ?? 0.5;
  checkLossParameter(name, 'q', q, (v) => v > 0 && v <= 1, 'in (0, 1]');
  return tf.tidy(() => {
    const p = tf.maximum(activatePrediction(prediction, options.activation ?? 'none'), PROBABILITY_FLOOR);
    let perClass = tf.mul(oneHot, tf.div(tf.sub(1, positivePower(p, q)), q));
    if (options.classWeights !== undefined) perClass = tf.mul(perClass, tf.tensor1d(options.classWeights as number[], 'float32'));
    return pixelWeightedMean(tf.sum(perClass, -1), options);
  });
}
