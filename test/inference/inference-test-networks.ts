import * as tf from '@tensorflow/tfjs-core';
import type { BatchLogits } from '../../src/inference/network-logits.js';

/**
 * A fixed 1×1 (×1) convolution written with tf ops, for 2D or 3D batches: logits = x·W + b per voxel. Its output at a
 * voxel depends on that voxel only, so it commutes with flips, transposes and windowing.
 */
export function pointwiseLogits(weights: number[][], bias: number[]): BatchLogits {
  return (batch) =>
    tf.tidy(() => {
      const channels = batch.shape[batch.rank - 1];
      const flat = tf.reshape(batch, [-1, channels]);
      const out = tf.add(tf.matMul(flat, tf.tensor2d(weights)), tf.tensor1d(bias));
      return tf.reshape(out, [...batch.shape.slice(0, -1), bias.length]);
    });
}

/**
 * A network whose output depends on the whole window it sees: logits = [x, mean of x over the window] per voxel
 * (one input channel, two classes). Windowed and whole-image predictions therefore differ, which lets a test compare
 * the overlap averaging against a plain-loop reference.
 */
export const windowMeanLogits: BatchLogits = (batch) =>
  tf.tidy(() => {
    const axes = Array.from({ length: batch.rank - 2 }, (_, i) => i + 1);
    const mean = tf.mean(batch, axes, true);
    return tf.concat([batch, tf.mul(tf.onesLike(batch), mean)], batch.rank - 1);
  });

/** A 3×3 mean filter with zero padding (2D, one channel) → logits [x̄, −x̄]: symmetric, so it commutes with flips. */
export const boxFilterLogits: BatchLogits = (batch) =>
  tf.tidy(() => {
    const kernel = tf.fill([3, 3, 1, 1], 1 / 9) as tf.Tensor4D;
    const smoothed = tf.conv2d(batch as tf.Tensor4D, kernel, 1, 'same');
    return tf.concat([smoothed, tf.neg(smoothed)], 3);
  });

/** Deterministic pseudo-random values in [-1, 1). */
export function pseudoRandomValues(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 2 - 1;
  }
  return out;
}
