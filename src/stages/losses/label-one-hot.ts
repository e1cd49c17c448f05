import type * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';
import { oneHotLabels } from '../../losses/one-hot.js';

/** One-hot targets matching a prediction's class count, from an int32 label map [N, H, W]. */
export function oneHotFor(prediction: tf.Tensor, label: tf.Tensor, node: string): tf.Tensor {
  if (label.rank !== prediction.rank - 1 || label.shape.join('x') !== prediction.shape.slice(0, -1).join('x')) {
    throw new MicflowError(
      'invalid-shape',
      `node "${node}": label shape [${label.shape}] does not match prediction [${prediction.shape}] without its class axis`,
    );
  }
  return oneHotLabels(label, prediction.shape[prediction.rank - 1]);
}
