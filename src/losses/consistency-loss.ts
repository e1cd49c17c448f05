import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';

export type ConsistencyKind = 'mse' | 'kl' | 'js';

const EPSILON = 1e-8;

/**
 * Consistency between two probability maps of the same shape [N, …, C], averaged over pixels (the class axis is summed
 * for KL/JS and averaged for MSE, as PyTorch's `F.mse_loss` on softmax outputs does in PyMIC and SSL4MIS):
 * - `mse`: mean (p − q)²                               (Laine & Aila 2017; Tarvainen & Valpola 2017)
 * - `kl`:  mean over pixels of Σ_c q log(q / p)        (KL(q ‖ p), q the target)
 * - `js`:  mean over pixels of ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2
 * The target is used as given: pass a stop-gradient prediction (a teacher's) when only `prediction` should learn.
 */
export function consistencyLoss(prediction: tf.Tensor, target: tf.Tensor, kind: ConsistencyKind): tf.Scalar {
  if (prediction.shape.join('x') !== target.shape.join('x')) {
    throw new MicflowError('invalid-shape', `consistency loss: prediction [${prediction.shape}] and target [${target.shape}] differ in shape`);
  }
  return tf.tidy(() => {
    if (kind === 'mse') return tf.mean(tf.squaredDifference(prediction, target));
    const classAxis = prediction.rank - 1;
    const kl = (q: tf.Tensor, p: tf.Tensor) =>
      tf.sum(tf.mul(q, tf.sub(tf.log(tf.add(q, EPSILON)), tf.log(tf.add(p, EPSILON)))), classAxis);
    if (kind === 'kl') return tf.mean(kl(target, prediction));
    const middle = tf.mul(tf.add(prediction, target), 0.5);
    return tf.mean(tf.mul(tf.add(kl(prediction, middle), kl(target, middle)), 0.5));
  }) as tf.Scalar;
}
