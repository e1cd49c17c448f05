import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';

/** Probabilities are mapped to 0.99 p + 0.005 before logarithms, as URPC's reference code and PyMIC. */
const SCALE = 0.99;
const OFFSET = 0.005;

/**
 * Uncertainty-rectified pyramid consistency over S ≥ 2 probability maps [N, …, C] of one image batch at a common
 * resolution (a network's multiscale predictions resized to the input): with p_s ← 0.99 p_s + 0.005 and their mean
 * p̄ = (1/S) Σ_s p_s, per scale and pixel
 *   v_s = Σ_c p̄_c (log p̄_c − log p_s,c)    (KL(p̄ ‖ p_s), the scale's disagreement with the mean: its uncertainty)
 *   w_s = exp(−v_s)
 * and
 *   loss = (1/S) Σ_s [ mean(w_s (p̄ − p_s)²) / (mean(w_s) + 1e-8) + mean(v_s) ],
 * the first mean over pixels and classes, the others over pixels: an MSE to the mean that trusts each pixel as much as
 * the scales agree there, plus the uncertainty itself as a regulariser. Gradients flow through every term (p̄ and the
 * weights included), as in the reference implementations.
 *
 * Reference: X. Luo, W. Liao, J. Chen, T. Song, Y. Chen, S. Zhang, N. Chen, G. Wang, S. Zhang, "Efficient
 * semi-supervised gross target volume of nasopharyngeal carcinoma segmentation via uncertainty rectified pyramid
 * consistency", MICCAI 2021 (and MedIA 2022); PyMIC's SSLURPC (pymic/net_run/semi_sup/ssl_urpc.py).
 */
export function pyramidConsistencyLoss(probs: readonly tf.Tensor[]): tf.Scalar {
  const name = 'pyramidConsistencyLoss';
  if (probs.length < 2) throw new MicflowError('invalid-argument', `${name}: needs at least 2 probability maps, got ${probs.length}`);
  const shape = probs[0].shape;
  if (shape.length < 2) throw new MicflowError('invalid-shape', `${name}: probability maps must be channels-last [N, ..., C], got shape [${shape}]`);
  probs.forEach((p, s) => {
    if (p.shape.join('x') !== shape.join('x')) {
      throw new MicflowError('invalid-shape', `${name}: map ${s} has shape [${p.shape}] but map 0 has [${shape}]; resize the scales to one resolution first`);
    }
    if (p.dtype !== 'float32') throw new MicflowError('invalid-argument', `${name}: map ${s} must be float32, got ${p.dtype}`);
  });
  return tf.tidy(() => {
    const smoothed = probs.map((p) => tf.add(tf.mul(p, SCALE), OFFSET));
    const mean = tf.div(tf.addN(smoothed), smoothed.length);
    const logMean = tf.log(mean);
    const classAxis = shape.length - 1;
    const terms = smoothed.map((p) => {
      const uncertainty = tf.sum(tf.mul(mean, tf.sub(logMean, tf.log(p))), classAxis, true);
      const weight = tf.exp(tf.neg(uncertainty));
      const rectified = tf.div(tf.mean(tf.mul(tf.squaredDifference(mean, p), weight)), tf.add(tf.mean(weight), 1e-8));
      return tf.add(rectified, tf.mean(uncertainty));
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}
