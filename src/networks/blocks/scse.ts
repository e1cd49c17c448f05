import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { ConvParameters, NetworkParameters } from '../network-parameters.js';
import { applyConvBlock, createConvBlock, type ConvBlock, type ConvBlockSpec } from './conv-block.js';
import { applyConvolution } from './convolution.js';

/** Concurrent spatial and channel squeeze & excitation parameters for C channels. */
export interface ScSEParameters {
  /** Channel SE bottleneck: [C, C/2] with bias. */
  fc1: ConvParameters;
  /** Channel SE expansion: [C/2, C] with bias. */
  fc2: ConvParameters;
  /** Spatial SE 1x1 (2D) or 1x1x1 (3D) conv to one channel: [1, 1, (1,) C, 1] with bias. */
  spatial: ConvParameters;
}

/** A ConvBlock followed by its scSE block (PyMIC's ConvScSEBlock / ConvScSEBlock3D). */
export interface ScSEConvBlock extends ConvBlock {
  scse: ScSEParameters;
}

/**
 * The variables of an scSE block on `channels` channels in `spatialDims` dimensions, at `path`, in the order cSE fc1
 * (`${path}/cse/fc1`), cSE fc2 (`${path}/cse/fc2`), sSE conv (`${path}/sse/conv`), with PyTorch's default init
 * (nn.Linear fan_in = its input features; the sSE conv fan_in = C). The channel SE halves C (PyMIC's reduction
 * ratio 2, C // 2 hidden units), so C must be >= 2.
 */
export function createScSE(parameters: NetworkParameters, path: string, channels: number, spatialDims: 2 | 3): ScSEParameters {
  const reduced = Math.floor(channels / 2);
  return {
    fc1: parameters.conv(`${path}/cse/fc1`, [channels, reduced], channels),
    fc2: parameters.conv(`${path}/cse/fc2`, [reduced, channels], reduced),
    spatial: parameters.conv(`${path}/sse/conv`, [...new Array<number>(spatialDims).fill(1), channels, 1], channels),
  };
}

/**
 * max(cSE(x), sSE(x)) for NHWC or NDHWC x (A. G. Roy, N. Navab, C. Wachinger, "Concurrent Spatial and Channel
 * 'Squeeze & Excitation' in Fully Convolutional Networks", MICCAI 2018):
 * - cSE scales each channel by sigmoid(fc2(relu(fc1(mean over space of x)))) (Hu et al., "Squeeze-and-Excitation
 *   Networks", CVPR 2018);
 * - sSE scales each pixel / voxel by sigmoid(conv1x1(x) to one channel).
 */
export function applyScSE<T extends tf.Tensor4D | tf.Tensor5D>(se: ScSEParameters, x: T): T {
  const n = x.shape[0];
  const c = x.shape[x.rank - 1];
  const spatialAxes = x.shape.slice(1, -1).map((_, i) => i + 1);
  const squeezed = tf.mean(x, spatialAxes) as tf.Tensor2D; // [N, C]
  const hidden = tf.relu(tf.add(tf.matMul(squeezed, se.fc1.kernel as tf.Tensor2D), se.fc1.bias));
  const channelGate = tf.sigmoid(tf.add(tf.matMul(hidden as tf.Tensor2D, se.fc2.kernel as tf.Tensor2D), se.fc2.bias));
  const channelExcited = tf.mul(x, tf.reshape(channelGate, [n, ...spatialAxes.map(() => 1), c]));
  const spatialGate = tf.sigmoid(applyConvolution(se.spatial, x));
  return tf.maximum(channelExcited, tf.mul(x, spatialGate)) as T;
}

/** A ConvBlock (2D or 3D by the spec's kernel size), then its scSE block's variables at the block's path. */
export function createScSEConvBlock(parameters: NetworkParameters, spec: ConvBlockSpec): ScSEConvBlock {
  const block = createConvBlock(parameters, spec);
  const spatialDims = spec.kernelSize.length === 3 ? 3 : 2;
  return { ...block, scse: createScSE(parameters, spec.path, spec.outChannels, spatialDims) };
}

/** The conv block's forward pass (see applyConvBlock), then its scSE block. */
export function applyScSEConvBlock<T extends tf.Tensor4D | tf.Tensor5D>(block: ScSEConvBlock, x: T, training: boolean, random: SeededRandom | undefined): T {
  return applyScSE(block.scse, applyConvBlock(block, x, training, random));
}
