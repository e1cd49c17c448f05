import * as tf from '@tensorflow/tfjs-core';
import { convBatchNormActivation, type LayerActivation } from '../../runtime/ops/conv-batch-norm-activation.js';
import { dropout } from '../../runtime/ops/dropout.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { BatchNormParameters, ConvParameters, NetworkParameters } from '../network-parameters.js';

/** LeakyReLU's negative slope in PyMIC's conv blocks (nn.LeakyReLU()). */
export const LEAKY_RELU_SLOPE = 0.01;
/** PyTorch's initial PReLU slope (nn.PReLU()). */
export const PRELU_INITIAL_SLOPE = 0.25;

/** The non-linearity after each batch norm: LeakyReLU(0.01) (PyMIC's UNet2D/3D), one-slope PReLU (UNet2D5) or ReLU (CANet). */
export type ConvBlockActivation = 'leakyRelu' | 'prelu' | 'relu';

/** Two conv -> BN -> activation layers with dropout between them; `path` names the variables and the dropout stream. */
export interface ConvBlock {
  path: string;
  conv1: ConvParameters;
  bn1: BatchNormParameters;
  /** PReLU slope of the first layer (only with activation 'prelu'). */
  prelu1?: tf.Variable;
  conv2: ConvParameters;
  bn2: BatchNormParameters;
  prelu2?: tf.Variable;
  dropout: number;
  /** Absent means 'leakyRelu', or 'prelu' when the slopes are present. */
  activation?: ConvBlockActivation;
}

export interface ConvBlockSpec {
  path: string;
  inChannels: number;
  outChannels: number;
  /** Spatial kernel size: [3, 3] for 2D, [3, 3, 3] for 3D, [1, 3, 3] for an in-plane layer of a volume. */
  kernelSize: readonly number[];
  /** Dropout probability between the two layers (training only). */
  dropout: number;
  /** Default 'leakyRelu'. */
  activation?: ConvBlockActivation;
}

/**
 * PyMIC's ConvBlock (pymic/net/net2d/unet2d.py, net3d/unet3d.py, net3d/unet2d5.py): conv -> BN -> activation ->
 * Dropout(p) -> conv -> BN -> activation, after Ronneberger et al., "U-Net", MICCAI 2015, with batch norm (Ioffe and
 * Szegedy, ICML 2015). Variables are created in the order conv1, bn1, (prelu1), conv2, bn2, (prelu2), named
 * `${path}/conv1/kernel`, ..., with PyTorch's default init (fan_in = taps x input channels).
 */
export function createConvBlock(parameters: NetworkParameters, spec: ConvBlockSpec): ConvBlock {
  const { path, inChannels, outChannels, kernelSize } = spec;
  const taps = kernelSize.reduce((a, b) => a * b, 1);
  const prelu = spec.activation === 'prelu';
  const conv1 = parameters.conv(`${path}/conv1`, [...kernelSize, inChannels, outChannels], taps * inChannels);
  const bn1 = parameters.batchNorm(`${path}/bn1`, outChannels);
  const prelu1 = prelu ? parameters.constant(`${path}/prelu1`, [1], PRELU_INITIAL_SLOPE) : undefined;
  const conv2 = parameters.conv(`${path}/conv2`, [...kernelSize, outChannels, outChannels], taps * outChannels);
  const bn2 = parameters.batchNorm(`${path}/bn2`, outChannels);
  const prelu2 = prelu ? parameters.constant(`${path}/prelu2`, [1], PRELU_INITIAL_SLOPE) : undefined;
  return {
    path,
    conv1,
    bn1,
    ...(prelu ? { prelu1 } : {}),
    conv2,
    bn2,
    ...(prelu ? { prelu2 } : {}),
    dropout: spec.dropout,
    ...(spec.activation === 'relu' ? { activation: 'relu' as const } : {}),
  };
}

/**
 * The block's forward pass on NHWC (2D kernels) or NDHWC (3D kernels) tensors. Dropout, in training only, draws from
 * `random.derive(block.path, 'dropout')`; training with dropout > 0 needs `random`. Each conv -> BN -> activation is the
 * runtime's convBatchNormActivation (which fuses the layer where the backend can); PReLU, having a slope variable,
 * follows a linear layer.
 */
export function applyConvBlock<T extends tf.Tensor4D | tf.Tensor5D>(block: ConvBlock, x: T, training: boolean, random: SeededRandom | undefined): T {
  const activation: LayerActivation = block.activation === 'relu' ? { kind: 'relu' } : { kind: 'leakyRelu', alpha: LEAKY_RELU_SLOPE };
  const layer = (conv: ConvParameters, bn: BatchNormParameters, input: T, preluSlope: tf.Variable | undefined) =>
    preluSlope === undefined
      ? convBatchNormActivation(input, conv, bn, training, activation)
      : prelu(convBatchNormActivation(input, conv, bn, training, { kind: 'linear' }), preluSlope);
  let h = layer(block.conv1, block.bn1, x, block.prelu1);
  if (training && block.dropout > 0) h = dropout(h, block.dropout, (random as SeededRandom).derive(block.path, 'dropout'));
  return layer(block.conv2, block.bn2, h, block.prelu2);
}

/** PReLU with one slope variable: max(x, 0) + a min(x, 0) (He et al., ICCV 2015). */
function prelu<T extends tf.Tensor>(x: T, slope: tf.Variable): T {
  return tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)));
}
