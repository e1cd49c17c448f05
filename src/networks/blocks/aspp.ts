import * as tf from '@tensorflow/tfjs-core';
import { dilatedConv2dSame } from '../../runtime/ops/dilated-conv2d-same.js';
import { applyBatchNorm, type BatchNormParameters, type ConvParameters, type NetworkParameters } from '../network-parameters.js';
import { applyConvolution } from './convolution.js';
import { LEAKY_RELU_SLOPE } from './conv-block.js';

/** One parallel branch of an ASPP block: a convolution with its kernel size and dilation. */
export interface AsppBranch {
  conv: ConvParameters;
  dilation: number;
}

/** Atrous spatial pyramid pooling: parallel dilated convolutions, concatenated and fused by conv1x1 -> BN -> LeakyReLU. */
export interface Aspp {
  branches: AsppBranch[];
  fuse: ConvParameters;
  bn: BatchNormParameters;
}

export interface AsppSpec {
  path: string;
  inChannels: number;
  /** Per branch: output channels, (odd, square) kernel size and dilation. */
  branches: readonly { outChannels: number; kernelSize: number; dilation: number }[];
}

/**
 * The ASPP block of PyMIC's COPLENet (pymic/net/net2d/cople_net.py, ASPPBlock), after Chen et al., "DeepLab: Semantic
 * Image Segmentation with Deep Convolutional Nets, Atrous Convolution, and Fully Connected CRFs", IEEE TPAMI 2018:
 * branch b is a k_b x k_b convolution with dilation d_b and padding d_b (k_b - 1) / 2 (with bias, no normalisation);
 * the branches' outputs are concatenated in order and fused by a 1x1 conv (same channel count) -> BN -> LeakyReLU(0.01).
 * Variables: `${path}/branch${b + 1}`, `${path}/fuse`, `${path}/bn`, with PyTorch's default init.
 */
export function createAspp(parameters: NetworkParameters, spec: AsppSpec): Aspp {
  const branches = spec.branches.map(({ outChannels, kernelSize, dilation }, b) => ({
    conv: parameters.conv(`${spec.path}/branch${b + 1}`, [kernelSize, kernelSize, spec.inChannels, outChannels], kernelSize * kernelSize * spec.inChannels),
    dilation,
  }));
  const total = spec.branches.reduce((sum, b) => sum + b.outChannels, 0);
  const fuse = parameters.conv(`${spec.path}/fuse`, [1, 1, total, total], total);
  return { branches, fuse, bn: parameters.batchNorm(`${spec.path}/bn`, total) };
}

/** The block's forward pass on NHWC x; batch statistics (and running-statistics updates) in training. */
export function applyAspp(aspp: Aspp, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const outputs = aspp.branches.map(({ conv, dilation }) => dilatedConv2dSame(x, conv.kernel as tf.Tensor4D, conv.bias as tf.Tensor1D, dilation));
  const fused = applyBatchNorm(aspp.bn, applyConvolution(aspp.fuse, tf.concat(outputs, 3) as tf.Tensor4D), training);
  return tf.leakyRelu(fused, LEAKY_RELU_SLOPE);
}
