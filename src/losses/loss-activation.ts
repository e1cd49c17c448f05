import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';

/** What a loss applies to the network output before comparing it with the target. */
export const lossActivations = ['none', 'softmax', 'sigmoid', 'tanh'] as const;
export type LossActivation = (typeof lossActivations)[number];

/**
 * The `activation` param of every loss unit: what the loss applies to its `prediction` first. Its default, 'softmax',
 * takes the Forward stage's logits.
 */
export const lossActivationParam = z
  .enum(lossActivations)
  .default('softmax')
  .describe(
    "Applied to the prediction first (PyMIC `loss_acti_func`): 'softmax' over classes (the prediction is logits), 'sigmoid' or 'tanh' elementwise, 'none' (it is already probabilities)",
  );

/** The params every segmentation loss has. */
export interface ActivatedLossParams {
  readonly activation: LossActivation;
}

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
