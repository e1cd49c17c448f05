import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';

/** What a loss applies to the network output before comparing it with the target. */
export const lossActivations = ['none', 'softmax', 'sigmoid', 'tanh'] as const;
export type LossActivation = (typeof lossActivations)[number];

/**
 * Applies a loss's activation to a channels-last prediction, as PyMIC's `AbstractSegLoss.get_activated_prediction`
 * (pymic/loss/seg/abstract.py, option `loss_acti_func`):
 * - 'softmax': softmax over the channel (last) axis, for mutually exclusive classes;
 * - 'sigmoid': elementwise logistic function, values in (0, 1), for independent (multi-label) channels;
 * - 'tanh':    elementwise tanh, values in (-1, 1), as PyMIC (for signed targets such as level sets);
 * - 'none':    the prediction is already what the loss needs (e.g. probabilities from the Forward stage).
 * Differentiable through the registered Softmax / Sigmoid / Tanh gradients.
 */
export function activatePrediction(prediction: tf.Tensor, activation: LossActivation): tf.Tensor {
  switch (activation) {
    case 'none':
      return prediction;
    case 'softmax':
      return tf.softmax(prediction, -1);
    case 'sigmoid':
      return tf.sigmoid(prediction);
    case 'tanh':
      return tf.tanh(prediction);
    default:
      throw new MicflowError('invalid-argument', `unknown loss activation '${activation as string}'; use one of ${lossActivations.join(', ')}`);
  }
}

/** Options every segmentation loss accepts: the activation and the per-pixel weight / unannotated mask. */
export interface ActivatedLossOptions {
  /** Activation applied to the prediction first. Default 'none' (the prediction is already probabilities). */
  activation?: LossActivation;
  /** Non-negative weight per pixel, shape of the prediction without its channel axis. */
  pixelWeight?: tf.Tensor;
  /** 1 for annotated pixels, 0 for unannotated ones (partial / scribble labels); same shape as pixelWeight. */
  mask?: tf.Tensor;
}
