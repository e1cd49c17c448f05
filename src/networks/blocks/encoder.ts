import type * as tf from '@tensorflow/tfjs-core';
import { maxPool2x2 } from '../../runtime/ops/max-pool-2x2.js';
import { maxPool3d2x2x2 } from '../../runtime/ops/max-pool-3d-2x2x2.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { NetworkParameters } from '../network-parameters.js';
import { applyConvBlock, createConvBlock, type ConvBlock, type ConvBlockActivation, type ConvBlockSpec } from './conv-block.js';

export interface EncoderSpec<B = ConvBlock> {
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
  /** Builds a level's block from its ConvBlock spec; default createConvBlock (e.g. to append an scSE block). */
  createBlock?: (spec: ConvBlockSpec) => B;
}

/** How the encoder runs: its mode, dropout randomness, and optionally its own down-sampling and block. */
export interface EncoderApplyOptions<T extends tf.Tensor4D | tf.Tensor5D, B = ConvBlock> {
  training: boolean;
  random: SeededRandom | undefined;
  /** Before level l > 0; default 2x max pooling by rank. */
  downsample?: (h: T, level: number) => T;
  /** Default applyConvBlock. */
  applyBlock?: (block: B, x: T) => T;
}

/**
 * PyMIC's U-Net encoder (Ronneberger et al., "U-Net", MICCAI 2015): a ConvBlock per level (PyMIC's in_conv, then
 * DownBlocks), level l reading level l - 1's channels. Blocks are created level by level, as PyMIC's modules.
 */
export function createEncoder<B = ConvBlock>(parameters: NetworkParameters, spec: EncoderSpec<B>): B[] {
  const { featureChannels: f } = spec;
  const createBlock = spec.createBlock ?? ((blockSpec: ConvBlockSpec) => createConvBlock(parameters, blockSpec) as B);
  return f.map((outChannels, level) =>
    createBlock({
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
 * The encoder's forward pass: level 0's block on x, then for each next level down-sampling (default 2x max pooling)
 * and its block. Returns every level's output, finest first (the skips; the last is the bottleneck).
 */
export function applyEncoder<T extends tf.Tensor4D | tf.Tensor5D, B = ConvBlock>(encoder: readonly B[], x: T, options: EncoderApplyOptions<T, B>): T[] {
  const { training, random } = options;
  const downsample = options.downsample ?? ((h: T) => maxPoolByTwo(h));
  const applyBlock = options.applyBlock ?? ((block: B, input: T) => applyConvBlock(block as ConvBlock, input, training, random));
  const skips: T[] = [];
  let h = x;
  encoder.forEach((block, level) => {
    if (level > 0) h = downsample(h, level);
    h = applyBlock(block, h);
    skips.push(h);
  });
  return skips;
}
