import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_EPSILON } from '../../runtime/ops/batch-norm.js';
import { NATIVE_FUSED_CONV3D } from '../../runtime/native/native-kernels.js';
import type { BatchNormParameters, ConvParameters } from '../network-parameters.js';

/** The activation fused after a folded conv + BN: none, ReLU, or LeakyReLU with its negative slope. */
export type FoldedActivation = { kind: 'linear' } | { kind: 'relu' } | { kind: 'leakyRelu'; alpha: number };

/**
 * Whether inference on the current backend folds batch norm into the preceding convolution: on the oneDNN "native"
 * backend, whose fused convolutions (FusedConv2D and micflow's 3D one) add the bias and apply the activation in the
 * same pass. Elsewhere inference keeps the separate conv, batch norm and activation, unchanged bit for bit.
 */
export function backendFoldsBatchNorm(): boolean {
  return tf.getKernel(NATIVE_FUSED_CONV3D, tf.getBackend()) !== undefined;
}

/**
 * Inference-mode conv -> BN -> activation as one convolution (Ioffe and Szegedy, "Batch Normalization", ICML 2015:
 * at inference BN is a fixed per-channel affine map, so it folds into the convolution before it — the standard
 * deployment fusion, e.g. Jacob et al., CVPR 2018, section 3.2). With s = γ / sqrt(running variance + ε):
 *   W' = W · s (per output channel, the kernel's last axis),   b' = (b − running mean) · s + β,
 *   y = activation(conv(x, W') + b'),
 * the same value as activation(BN(conv(x, W) + b)) up to float rounding, for 'same' stride-1 convolutions of NHWC
 * (kernel [kH, kW, in, out]) or NDHWC (kernel [kD, kH, kW, in, out]) input. Runs on every backend; on native the
 * convolution, bias and activation are one oneDNN call. Inference only: the running statistics are not updated.
 */
export function applyFoldedConvBatchNorm<T extends tf.Tensor4D | tf.Tensor5D>(
  conv: ConvParameters,
  bn: BatchNormParameters,
  x: T,
  activation: FoldedActivation,
): T {
  return tf.tidy(() => {
    const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVariance, BATCH_NORM_EPSILON)));
    const kernel = tf.mul(conv.kernel, scale);
    const bias = tf.add(tf.mul(tf.sub(conv.bias, bn.runningMean), scale), bn.beta) as tf.Tensor1D;
    const fused = activation.kind === 'linear' ? 'linear' : activation.kind === 'relu' ? 'relu' : 'leakyrelu';
    const alpha = activation.kind === 'leakyRelu' ? activation.alpha : undefined;
    if (conv.kernel.rank === 4) {
      return tf.fused.conv2d({ x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: fused, leakyreluAlpha: alpha }) as T;
    }
    if (tf.getKernel(NATIVE_FUSED_CONV3D, tf.getBackend())) {
      const attrs = { strides: [1, 1, 1], pad: 'same', dilations: [1, 1, 1], activation: fused, leakyreluAlpha: alpha ?? 0 };
      return tf.engine().runKernel(NATIVE_FUSED_CONV3D, { x, filter: kernel, bias }, attrs as unknown as tf.NamedAttrMap) as T;
    }
    const y = tf.add(tf.conv3d(x as tf.Tensor5D, kernel as tf.Tensor5D, 1, 'same'), bias);
    return (activation.kind === 'linear' ? y : activation.kind === 'relu' ? tf.relu(y) : tf.leakyRelu(y, activation.alpha)) as T;
  });
}
