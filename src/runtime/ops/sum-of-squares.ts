import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_SUM_OF_SQUARES, onNativeBackend } from '../native/native-kernels.js';

/**
 * Σ x² over every element of every tensor, as a float32 scalar: the squared global norm of a set of gradients (what a
 * training tick checks for non-finite values, and what gradient-norm clipping scales by). On the native backend one
 * addon pass over all tensors, accumulated in double; elsewhere `addN(sum(square(t)))`, two kernels per tensor. The
 * two agree to float32 rounding of the sums. Not differentiable on native; no tensors are left behind but the result.
 */
export function sumOfSquares(tensors: readonly tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) return tf.scalar(0);
  if (onNativeBackend() && tensors.every((t) => t.dtype === 'float32')) {
    const inputs: Record<string, tf.Tensor> = {};
    tensors.forEach((t, i) => (inputs[`t${i}`] = t));
    return tf.engine().runKernel(NATIVE_SUM_OF_SQUARES, inputs) as tf.Scalar;
  }
  return tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Scalar);
}
