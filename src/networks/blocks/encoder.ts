import type * as tf from '@tensorflow/tfjs-core';
import { maxPool2x2 } from '../../runtime/ops/max-pool-2x2.js';
import { maxPool3d2x2x2 } from '../../runtime/ops/max-pool-3d-2x2x2.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { NetworkParameters } from '../network-parameters.js';
import { applyConvBlock, createConvBlock, type ConvBlock, type ConvBlockActivation } from './conv-block.js';

export interface EncoderSpec {
  inChannels: number;
  /** Output channels per level. */
  featureChannels: readonly number[];
  /** Dropout per level. */
  dropout: readonly number[];
  /** The spatial kernel size of every level's convs, or one per level. */
  kernelSize: readonly number[] | ((level: number) => readonly number[]);
  activation?: ConvBlockActivation;
  /** Variable path of level l's block: default `enc${l}`. */
  path?: (level: number) => string;
}

/**
 * PyMIC's U-Net encoder (Ronneberger et al., "U-Net", MICCAI 2015): a ConvBlock per level (PyMIC's in_conv, then
 * DownBlocks), level l reading level l - 1's channels. Blocks are created level by level, as PyMIC's modules.
 */
export function createEncoder(parameters: NetworkParameters, spec: EncoderSpec): ConvBlock[] {
  const { featureChannels: f } = spec;
  return f.map((outChannels, level) =>
    createConvBlock(parameters, {
      path: spec.path ? spec.path(level) : `enc${level}`,
      inChannels: level === 0 ? spec.inChannels : f[level - 1],
      outChannels,
      kernelSize: typeof spec.kernelSize === 'function' ? spec.kernelSize(level) : spec.kernelSize,
      dropout: spec.dropout[level],
      activation: spec.activation,
    }),
  );
}

/** 2x2 (NHWC) or 2x2x2 (NDHWC) max pooling, by the rank of x: PyMIC's DownBlock pooling. */
export function maxPoolByTwo<T extends tf.Tensor4D | tf.Tensor5D>(x: T): T {
  return (x.rank === 5 ? maxPool3d2x2x2(x as tf.Tensor5D) : maxPool2x2(x as tf.Tensor4D)) as T;
}

/**
 * The encoder's forward pass: level 0's block on x, then for each next level `downsample` (default 2x max pooling)
 * and its block. Returns every level's output, finest first (the skips; the last is the bottleneck).
 */
export function applyEncoder<T extends tf.Tensor4D | tf.Tensor5D>(
  encoder: readonly ConvBlock[],
  x: T,
  training: boolean,
  random: SeededRandom | undefined,
  downsample: (h: T, level: number) => T = maxPoolByTwo,
): T[] {
  const skips: T[] = [];
  let h = x;
  encoder.forEach((block, level) => {
    if (level > 0) h = downsample(h, level);
    h = applyConvBlock(block, h, training, random);
    skips.push(h);
  });
  return skips;
}
