import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { checkPixelWeights } from './loss-inputs.js';

/** The consistency measures {@link consistencyLoss} computes. */
export const consistencyKinds = ['mse', 'mae', 'kl', 'js'] as const;
export type ConsistencyKind = (typeof consistencyKinds)[number];

const EPSILON = 1e-8;

/** Smallest denominator of the masked mean: an all-zero mask gives 0 / 1e-12 = 0. */
const MASK_TOTAL_FLOOR = 1e-12;

/**
 * Σ mask · value / max(Σ mask, 1e-12) over pixels, or the plain mean without a mask. Every op has a gradient, so a
 * mask computed from a trained network (behind a stop-gradient) does not break backpropagation. Call inside tf.tidy.
 */
function maskedMean(perPixel: tf.Tensor, mask: tf.Tensor | undefined): tf.Scalar {
  if (mask === undefined) return tf.mean(perPixel);
  const weight = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  return tf.div(tf.sum(tf.mul(weight, perPixel)), tf.maximum(tf.sum(weight), MASK_TOTAL_FLOOR)) as tf.Scalar;
}

/**
 * Consistency between two probability maps of the same shape [N, …, C], averaged over pixels (the class axis is summed
 * for KL/JS and averaged for MSE/MAE, as PyTorch's `F.mse_loss` on softmax outputs does in PyMIC and SSL4MIS):
 * - `mse`: mean (p − q)²                               (Laine & Aila 2017; Tarvainen & Valpola 2017)
 * - `mae`: mean |p − q|                               (DAST's supplementary training against a sharpened soft label,
 *                                                       Yang et al., IEEE JBHI 2022: torch.mean(torch.abs(p − q)))
 * - `kl`:  mean over pixels of Σ_c q log(q / p)        (KL(q ‖ p), q the target)
 * - `js`:  mean over pixels of ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2
 * With a `mask` [N, …] (the shape without the class axis; 1 keeps a pixel, 0 drops it, values in between weight it)
 * the mean over pixels becomes Σ mask · value / Σ mask — for `mse` Σ_pixels mask Σ_c (p − q)² / (C Σ mask) (`mae`
 * alike), the masked consistency of the uncertainty-aware mean teacher (Yu et al., MICCAI 2019) — and 0 when every
 * pixel is masked out.
 * The target is used as given: pass a stop-gradient prediction (a teacher's) when only `prediction` should learn.
 */
export function consistencyLoss(prediction: tf.Tensor, target: tf.Tensor, kind: ConsistencyKind, mask?: tf.Tensor): tf.Scalar {
  if (prediction.shape.join('x') !== target.shape.join('x')) {
    throw new MicflowError('invalid-shape', `consistency loss: prediction [${prediction.shape}] and target [${target.shape}] differ in shape`);
  }
  if (mask !== undefined) checkPixelWeights('consistency loss', prediction, { mask });
  return tf.tidy(() => {
    const classAxis = prediction.rank - 1;
    if (kind === 'mse') {
      if (mask === undefined) return tf.mean(tf.squaredDifference(prediction, target));
      return maskedMean(tf.mean(tf.squaredDifference(prediction, target), classAxis), mask);
    }
    if (kind === 'mae') {
      if (mask === undefined) return tf.mean(tf.abs(tf.sub(prediction, target)));
      return maskedMean(tf.mean(tf.abs(tf.sub(prediction, target)), classAxis), mask);
    }
    const kl = (q: tf.Tensor, p: tf.Tensor) =>
      tf.sum(tf.mul(q, tf.sub(tf.log(tf.add(q, EPSILON)), tf.log(tf.add(p, EPSILON)))), classAxis);
    if (kind === 'kl') return maskedMean(kl(target, prediction), mask);
    const middle = tf.mul(tf.add(prediction, target), 0.5);
    return maskedMean(tf.mul(tf.add(kl(prediction, middle), kl(target, middle)), 0.5), mask);
  }) as tf.Scalar;
}
