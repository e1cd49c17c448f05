import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { ConvParameters, NetworkParameters } from '../network-parameters.js';
import { applyConvBlock, createConvBlock, type ConvBlock } from './conv-block.js';
import { applyUpSampling, createUpSampling, type UpSamplingMode } from './up-sampling.js';

/** One decoder level: upsampling of the coarser feature, then a block on concat [skip, upsampled]. */
export interface UpBlock<B = ConvBlock> {
  up: ConvParameters;
  block: B;
}

export interface DecoderSpec<B = ConvBlock> {
  /** Prefix of each level's variables: level k (1 = coarsest) is `${prefix}${k}/up` and `${prefix}${k}/...`. */
  prefix: string;
  /** The encoder's channels per level. */
  featureChannels: readonly number[];
  upMode: UpSamplingMode;
  spatialDims: 2 | 3;
  /**
   * The block after the concatenation, given the encoder level it decodes to (`level` 0 = full resolution, e.g. to
   * pick that level's dropout rate); default a dropout-free ConvBlock with 3x3(x3) kernels.
   */
  createBlock?: (path: string, inChannels: number, outChannels: number, level: number) => B;
}

/**
 * PyMIC's U-Net decoder (Ronneberger et al., "U-Net", MICCAI 2015): one UpBlock per level below the bottleneck,
 * coarse to fine, each upsampling features[l + 1] to features[l] channels and reading 2 x features[l] after the
 * concatenation; per level the upsampling's variables are created before the block's.
 */
export function createDecoder<B = ConvBlock>(parameters: NetworkParameters, spec: DecoderSpec<B>): UpBlock<B>[] {
  const f = spec.featureChannels;
  const createBlock =
    spec.createBlock ??
    ((path: string, inChannels: number, outChannels: number) =>
      createConvBlock(parameters, { path, inChannels, outChannels, kernelSize: new Array<number>(spec.spatialDims).fill(3), dropout: 0 }) as B);
  const decoder: UpBlock<B>[] = [];
  for (let level = f.length - 2, k = 1; level >= 0; level--, k++) {
    const up = createUpSampling(parameters, `${spec.prefix}${k}/up`, f[level + 1], f[level], spec.upMode, spec.spatialDims);
    decoder.push({ up, block: createBlock(`${spec.prefix}${k}`, 2 * f[level], f[level], level) });
  }
  return decoder;
}

/**
 * The decoder's forward pass from the encoder's outputs `skips` (finest first, the last the bottleneck): each level
 * upsamples, concatenates [skip, upsampled] on channels and applies its block (`applyBlock`, default applyConvBlock).
 * Returns each level's output, coarse to fine (the last is full resolution).
 */
export function applyDecoder<T extends tf.Tensor4D | tf.Tensor5D, B = ConvBlock>(
  decoder: readonly UpBlock<B>[],
  skips: readonly T[],
  upMode: UpSamplingMode,
  training: boolean,
  random: SeededRandom | undefined,
  applyBlock: (block: B, x: T) => T = (block, x) => applyConvBlock(block as ConvBlock, x, training, random),
): T[] {
  const decoded: T[] = [];
  let h = skips[skips.length - 1];
  decoder.forEach(({ up, block }, k) => {
    const upsampled = applyUpSampling(up, h, upMode);
    h = applyBlock(block, tf.concat([skips[skips.length - 2 - k], upsampled], h.rank - 1) as T);
    decoded.push(h);
  });
  return decoded;
}
