import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { BatchLogits } from './network-logits.js';

/**
 * A 2D network applied to volumes slice by slice, as PyMIC does when a 2D network meets a 3D input: a batch of one
 * volume [1, D, H, W, C] becomes a batch of its D axial slices [D, H, W, C], the 2D logits [D, H, W, K] are stacked back
 * into [1, D, H, W, K]. 2D batches pass through unchanged. The caller owns the returned tensor (run it in tf.tidy).
 */
export function sliceWiseLogits(logits2d: BatchLogits): BatchLogits {
  return (batch) => {
    if (batch.rank === 4) return logits2d(batch);
    if (batch.rank !== 5 || batch.shape[0] !== 1) {
      throw new MicflowError('invalid-shape', `slice-wise inference takes one volume [1, D, H, W, C], got [${batch.shape.join(', ')}]`);
    }
    const [, depth, height, width, channels] = batch.shape;
    const slices = logits2d(tf.reshape(batch, [depth, height, width, channels]));
    if (slices.rank !== 4 || slices.shape[0] !== depth || slices.shape[1] !== height || slices.shape[2] !== width) {
      throw new MicflowError('invalid-shape', `slice-wise inference: the 2D network returned [${slices.shape.join(', ')}] for ${depth} slices of ${height}×${width}`);
    }
    return tf.reshape(slices, [1, depth, height, width, slices.shape[3] as number]);
  };
}
