import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';

/** Smoothing added to numerator and denominator of every soft Dice, as PyMIC's get_classwise_dice. */
export const SOFT_DICE_SMOOTH = 1e-5;

/**
 * Soft Dice per column of p and y, both [pixels, K], with pixel weights w [pixels, 1]:
 *   dice_k = (2 sum_i w_i p_ik y_ik + s) / (sum_i w_i p_ik + sum_i w_i y_ik + s),  s = 1e-5.
 * Returns [K]. As PyMIC's `get_classwise_dice` (pymic/loss/seg/util.py), after Milletari et al., "V-Net", 3DV 2016.
 * Differentiable by tfjs autodiff (mul, sum, add, div). Call inside tf.tidy.
 */
export function classwiseSoftDice(p: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor1D {
  const wy = tf.mul(w, y);
  const intersect = tf.sum(tf.mul(wy, p), 0);
  const denominator = tf.add(tf.add(tf.sum(tf.mul(w, p), 0), tf.sum(wy, 0)), SOFT_DICE_SMOOTH);
  return tf.div(tf.add(tf.mul(intersect, 2), SOFT_DICE_SMOOTH), denominator) as tf.Tensor1D;
}
