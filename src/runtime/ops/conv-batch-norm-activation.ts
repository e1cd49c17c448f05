import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_FOLD_CONV_BATCH_NORM, NATIVE_FUSED_CONV3D, onNativeBackend } from '../native/native-kernels.js';
import { BATCH_NORM_EPSILON, batchNormInference, batchNormTraining, updatedRunningStatistics, type FusedBatchNormActivation } from './batch-norm.js';
import { conv2dSame } from './conv2d-same.js';
import { conv3dSame } from './conv3d-same.js';

/** PyTorch's BatchNorm momentum: running statistics move by 0.1 of the batch's per training pass. */
export const BATCH_NORM_MOMENTUM = 0.1;

/** A convolution's kernel ([kH, kW, in, out] or [kD, kH, kW, in, out]) and bias ([out]). */
export interface ConvWeights {
  readonly kernel: tf.Tensor;
  readonly bias: tf.Tensor;
}

/** A batch norm's affine parameters and running statistics (variables: training moves them). */
export interface BatchNormWeights {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  readonly runningMean: tf.Variable;
  readonly runningVariance: tf.Variable;
}

/** The activation after a conv → batch norm layer: none, ReLU, or LeakyReLU with its negative slope. */
export type LayerActivation = { kind: 'linear' } | { kind: 'relu' } | { kind: 'leakyRelu'; alpha: number };

/**
 * A stride-1 'same' convolution with bias (PyTorch's Conv2d / Conv3d with padding = kernel // 2), 2D or 3D by the rank
 * of its kernel: [kH, kW, in, out] convolves NHWC tensors, [kD, kH, kW, in, out] NDHWC ones.
 */
export function convolutionSame<T extends tf.Tensor4D | tf.Tensor5D>(x: T, kernel: tf.Tensor, bias: tf.Tensor): T {
  if (kernel.rank === 5) return conv3dSame(x as tf.Tensor5D, kernel as tf.Tensor5D, bias as tf.Tensor1D) as T;
  return conv2dSame(x as tf.Tensor4D, kernel as tf.Tensor4D, bias as tf.Tensor1D) as T;
}

/**
 * Batch norm of a channels-last tensor of any rank (BatchNorm2d / BatchNorm3d): batch statistics in training, which
 * also move the running statistics by PyTorch's momentum 0.1 (unbiased variance), running statistics at inference.
 * Ioffe and Szegedy, "Batch Normalization", ICML 2015. With `activation`, a leaky ReLU of that slope follows (0:
 * ReLU), fused into the batch norm's passes in training on native (see batchNormTraining).
 */
export function batchNormLayer<T extends tf.Tensor>(x: T, bn: BatchNormWeights, training: boolean, activation?: FusedBatchNormActivation): T {
  const gamma = bn.gamma as tf.Tensor1D;
  const beta = bn.beta as tf.Tensor1D;
  if (!training) {
    const y = batchNormInference(x, gamma, beta, bn.runningMean as tf.Tensor1D, bn.runningVariance as tf.Tensor1D);
    return activation ? tf.leakyRelu(y, activation.leakyReluAlpha) : y;
  }
  const { y, statistics } = batchNormTraining(x, gamma, beta, BATCH_NORM_EPSILON, activation);
  const updated = updatedRunningStatistics(bn.runningMean as tf.Tensor1D, bn.runningVariance as tf.Tensor1D, statistics, BATCH_NORM_MOMENTUM);
  bn.runningMean.assign(updated.mean);
  bn.runningVariance.assign(updated.variance);
  return y;
}

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
export function foldedConvBatchNorm<T extends tf.Tensor4D | tf.Tensor5D>(x: T, conv: ConvWeights, bn: BatchNormWeights, activation: LayerActivation): T {
  return tf.tidy(() => {
    const [kernel, bias] = foldedWeights(conv, bn);
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

/** The kernel and bias of {@link foldedConvBatchNorm}: one addon pass on native, six tensor ops elsewhere. */
function foldedWeights(conv: ConvWeights, bn: BatchNormWeights): [tf.Tensor, tf.Tensor1D] {
  if (tf.getKernel(NATIVE_FOLD_CONV_BATCH_NORM, tf.getBackend())) {
    const inputs = { kernel: conv.kernel, bias: conv.bias, gamma: bn.gamma, beta: bn.beta, mean: bn.runningMean, variance: bn.runningVariance };
    return tf.engine().runKernel(NATIVE_FOLD_CONV_BATCH_NORM, inputs, { epsilon: BATCH_NORM_EPSILON }) as [tf.Tensor, tf.Tensor1D];
  }
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVariance, BATCH_NORM_EPSILON)));
  return [tf.mul(conv.kernel, scale), tf.add(tf.mul(tf.sub(conv.bias, bn.runningMean), scale), bn.beta) as tf.Tensor1D];
}

/**
 * One conv → batch norm → activation layer, the way the backend runs it fastest with the same arithmetic as written:
 * - at inference on native, one fused convolution with the batch norm folded in ({@link foldedConvBatchNorm});
 * - in training on native, with a ReLU or LeakyReLU, the activation inside the batch norm's own forward and backward
 *   passes (batchNormTraining);
 * - elsewhere, convolution, batch norm and activation as three ops.
 * Networks call this and never ask which backend runs. Training moves the running statistics.
 */
export function convBatchNormActivation<T extends tf.Tensor4D | tf.Tensor5D>(
  x: T,
  conv: ConvWeights,
  bn: BatchNormWeights,
  training: boolean,
  activation: LayerActivation,
): T {
  if (!training && backendFoldsBatchNorm()) return foldedConvBatchNorm(x, conv, bn, activation);
  const convolved = convolutionSame(x, conv.kernel, conv.bias);
  if (training && activation.kind !== 'linear' && onNativeBackend()) {
    return batchNormLayer(convolved, bn, true, { leakyReluAlpha: activation.kind === 'relu' ? 0 : activation.alpha });
  }
  const y = batchNormLayer(convolved, bn, training);
  return (activation.kind === 'linear' ? y : activation.kind === 'relu' ? tf.relu(y) : tf.leakyRelu(y, activation.alpha)) as T;
}
