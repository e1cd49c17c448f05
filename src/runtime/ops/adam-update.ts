import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_ADAM_UPDATE, onNativeBackend } from '../native/native-kernels.js';

/** One Adam step's settings for one variable: the optimiser's hyper-parameters and this step's learning rate. */
export interface AdamStepSettings {
  /** The learning rate of this step (after any schedule). */
  readonly lr: number;
  /** Decay of the first moment (PyTorch's `betas[0]`), in [0, 1). */
  readonly beta1: number;
  /** Decay of the second moment (PyTorch's `betas[1]`), in [0, 1). */
  readonly beta2: number;
  /** Added to the bias-corrected root of the second moment (after the square root, as PyTorch). */
  readonly eps: number;
  /** L2 penalty added to the gradient as weightDecay · x (PyTorch's Adam `weight_decay`); 0 for none. */
  readonly weightDecay: number;
  /** This variable's step count, this step included (1 on its first step): the bias corrections are 1 − beta^step. */
  readonly step: number;
}

/** A variable's Adam moments, the same shape as the variable. */
export interface AdamMoments {
  /** First moment, the running mean of the gradients. */
  readonly m: tf.Variable;
  /** Second moment, the running mean of the squared gradients. */
  readonly v: tf.Variable;
}

/**
 * One Adam step (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) with PyTorch's rule
 * (torch.optim.Adam, amsgrad off), updating the moments and the variable in place:
 *   g = gradient + weightDecay · x
 *   m ← beta1 m + (1 − beta1) g,   v ← beta2 v + (1 − beta2) g²
 *   x ← x − (lr / (1 − beta1^step)) · m / (√v / √(1 − beta2^step) + eps)
 * On the native backend, for float32 tensors, this is one pass of the addon's MicflowAdamUpdate kernel with the same
 * operations in the same order; elsewhere it is those operations as tensor ops. Either way each backend gives the
 * values it always gave. Leaves no tensors behind.
 */
export function adamUpdate(variable: tf.Variable, gradient: tf.Tensor, moments: AdamMoments, settings: AdamStepSettings): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = settings;
  const { m, v } = moments;
  if (onNativeBackend() && variable.dtype === 'float32' && gradient.dtype === 'float32') {
    // One pass per variable instead of about a dozen elementwise ops.
    tf.tidy(() => {
      const [x, mNew, vNew] = tf.engine().runKernel(NATIVE_ADAM_UPDATE, { x: variable, gradient, m, v }, { lr, beta1, beta2, eps, weightDecay, step }) as tf.Tensor[];
      m.assign(mNew);
      v.assign(vNew);
      variable.assign(x);
    });
    return;
  }
  tf.tidy(() => {
    const g = weightDecay > 0 ? tf.add(gradient, tf.mul(variable, weightDecay)) : gradient;
    const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    m.assign(mNew);
    v.assign(vNew);
    const correction1 = 1 - beta1 ** step;
    const correction2 = 1 - beta2 ** step;
    const denominator = tf.add(tf.div(tf.sqrt(vNew), Math.sqrt(correction2)), eps);
    variable.assign(tf.sub(variable, tf.mul(tf.div(mNew, denominator), lr / correction1)));
  });
}
