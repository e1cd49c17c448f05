import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { StoredTensor } from './in-memory-checkpoints.js';

/**
 * Tensors as a checkpoint stores them, in a module of its own: stages that save state (Adam's moments, a selection's
 * scores) import it, and it must not bring the checkpoint store's file system along (the browser bundle).
 */

/** A tensor's values read back to host memory, as a checkpoint stores them. */
export async function storedTensorOf(tensor: tf.Tensor): Promise<StoredTensor> {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new MicflowError('invalid-argument', `a checkpoint stores float32 or int32 tensors, not ${tensor.dtype}`);
  const data = await tensor.data();
  return { shape: [...tensor.shape], dtype: tensor.dtype, data: tensor.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data) };
}

/** A stored tensor as a new tensor (the caller owns it). */
export function tensorOfStored(stored: StoredTensor): tf.Tensor {
  return tf.tensor(stored.data, [...stored.shape], stored.dtype);
}
