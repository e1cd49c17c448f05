import * as tf from '@tensorflow/tfjs-core';
import { conv2dSame } from '../../runtime/ops/conv2d-same.js';
import { convolutionSame } from '../../runtime/ops/conv-batch-norm-activation.js';
import type { ConvParameters } from '../network-parameters.js';

/**
 * A stride-1 'same' convolution with bias (PyTorch's Conv2d / Conv3d with padding = kernel // 2), 2D or 3D by the
 * rank of its kernel: [kH, kW, in, out] convolves NHWC tensors, [kD, kH, kW, in, out] NDHWC ones.
 * LeCun et al., "Gradient-Based Learning Applied to Document Recognition", Proc. IEEE 1998.
 */
export function applyConvolution<T extends tf.Tensor4D | tf.Tensor5D>(conv: ConvParameters, x: T): T {
  return convolutionSame(x, conv.kernel, conv.bias);
}

/** A stride-1 'same' 2D convolution without bias (PyTorch's Conv2d(..., bias=False)) of NHWC x by kernel [kH, kW, in, out]. */
export function applyBiasFreeConvolution(kernel: tf.Variable, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => conv2dSame(x, kernel as tf.Tensor4D, tf.zeros([(kernel as tf.Tensor4D).shape[3]]) as tf.Tensor1D));
}
