import * as tf from '@tensorflow/tfjs-core';
import '../../runtime/register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/** The power iteration's finite-difference step, the returned perturbation's norm and the number of iterations. */
export interface VirtualAdversarialSpec {
  /** Step xi along the current direction when differentiating the KL divergence (PyMIC's VAT_xi). */
  xi: number;
  /** L2 norm of the returned perturbation, per image (PyMIC's VAT_eps). */
  eps: number;
  /** Power iterations (PyMIC's VAT_it). */
  iterations: number;
}

/**
 * PyMIC's defaults for CCT's VAT auxiliary decoder (pymic/net/net2d/unet2d_cct.py, AuxiliaryDecoder: VAT_it 2,
 * VAT_xi 1e-6, VAT_eps 2.0). CCT's own VATDecoder defaults to 1 iteration, xi 0.1, eps 10.
 */
export const PYMIC_VAT_DEFAULTS: VirtualAdversarialSpec = { xi: 1e-6, eps: 2.0, iterations: 2 };

/** Throws unless xi > 0, eps >= 0 and iterations is a positive integer; `owner` names the caller in the message. */
export function checkVirtualAdversarialSpec(owner: string, spec: VirtualAdversarialSpec): void {
  if (!(spec.xi > 0) || !Number.isFinite(spec.xi)) throw new MicflowError('invalid-argument', `${owner}: VAT xi must be a positive number, got ${spec.xi}`);
  if (!(spec.eps >= 0) || !Number.isFinite(spec.eps)) throw new MicflowError('invalid-argument', `${owner}: VAT eps must be >= 0, got ${spec.eps}`);
  if (!Number.isInteger(spec.iterations) || spec.iterations < 1) {
    throw new MicflowError('invalid-argument', `${owner}: VAT iterations must be a positive integer, got ${spec.iterations}`);
  }
}

/** d / (||d||_2 + 1e-8), the norm taken per image over all other axes (CCT's _l2_normalize). */
export function normalisePerImage<T extends tf.Tensor>(d: T): T {
  const axes = d.shape.map((_, i) => i).slice(1);
  return tf.div(d, tf.add(tf.sqrt(tf.sum(tf.square(d), axes, true)), 1e-8)) as T;
}

/**
 * KL(target || softmax(logits)) with classes on the last axis, summed over pixels and classes and divided by the batch
 * size: PyTorch's F.kl_div(log_softmax(logits), target, reduction='batchmean').
 */
export function batchMeanKlDivergence(target: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const logTarget = tf.log(tf.maximum(target, 1e-30));
  const terms = tf.mul(target, tf.sub(logTarget, tf.logSoftmax(logits)));
  return tf.div(tf.sum(terms), target.shape[0]) as tf.Scalar;
}

/**
 * The virtual adversarial perturbation of a feature (T. Miyato, S. Maeda, M. Koyama, S. Ishii, "Virtual Adversarial
 * Training: A Regularization Method for Supervised and Semi-Supervised Learning", IEEE TPAMI 41(8), 2019), as CCT's
 * VAT decoder computes it on the deepest encoder feature (Ouali et al., CVPR 2020; PyMIC's _get_r_adv):
 *   p = softmax(predict(x)) with x detached; d = normalise(U(-0.5, 0.5) noise);
 *   `iterations` times: d = normalise(grad_d KL(p || softmax(predict(x + xi d))));
 *   r_adv = eps d (L2 norm eps per image).
 * normalise(g) = g / (||g|| + 1e-8) as CCT's, except that each gradient is first divided by its largest magnitude:
 * its norm is about xi^2 times the curvature, so at PyMIC's xi = 1e-6 it is usually far below the 1e-8 guard, which
 * would shrink r_adv towards zero instead of giving it norm eps (the paper's r_adv = eps g / ||g||).
 * The returned r_adv is a constant for any enclosing gradient (PyTorch's d.grad is a leaf): each inner gradient is
 * computed with tf.grad, which records its backward operations on an enclosing tape too, and is then copied into a
 * new tensor that no recorded operation produced. An enclosing tape therefore never reaches those operations (their
 * second-order gradients would be needed otherwise), whereas stopGradient alone would keep them on the path from the
 * weights to the loss. The copy reads the direction back (one [N, H, W, C] read per iteration).
 * `predict` runs 1 + `iterations` times; with batch norm in training mode each run updates its running statistics,
 * as PyMIC's does.
 */
export function virtualAdversarialPerturbation(
  feature: tf.Tensor4D,
  predict: (perturbed: tf.Tensor4D) => tf.Tensor4D,
  random: SeededRandom,
  spec: VirtualAdversarialSpec,
): tf.Tensor4D {
  checkVirtualAdversarialSpec('virtualAdversarialPerturbation', spec);
  return tf.tidy(() => {
    const x = stopGradient(feature);
    const target = stopGradient(tf.softmax(predict(x)));
    let d = normalisePerImage(tf.tensor(random.uniformArray(feature.size, -0.5, 0.5), feature.shape, 'float32') as tf.Tensor4D);
    for (let i = 0; i < spec.iterations; i++) {
      const divergence = (direction: tf.Tensor) => batchMeanKlDivergence(target, predict(tf.add(x, tf.mul(direction, spec.xi)) as tf.Tensor4D));
      const gradient = copyOffTape(tf.grad(divergence)(d) as tf.Tensor4D);
      // Rescaled per image by its largest magnitude first, so that the 1e-8 guard of the normalisation cannot shrink a
      // small gradient (see the function comment); an all-zero gradient stays zero.
      d = normalisePerImage(tf.div(gradient, tf.add(tf.max(tf.abs(gradient), [1, 2, 3], true), 1e-30)) as tf.Tensor4D);
    }
    return tf.mul(d, spec.eps) as tf.Tensor4D;
  });
}

/** The values of x in a new tensor with no recorded producer: a gradient tape sees it as a constant input. */
function copyOffTape<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}
