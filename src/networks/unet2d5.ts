import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { maxPool3d2x2x2 } from '../runtime/ops/max-pool-3d-2x2x2.js';
import { applySeparableLinearMap } from '../runtime/ops/separable-linear-map.js';
import { transposedConv2x2 } from '../runtime/ops/transposed-conv-2x2.js';
import { transposedConv3d2x2x2 } from '../runtime/ops/transposed-conv-3d-2x2x2.js';
import { upsampleMatrix } from '../runtime/ops/upsample-2x.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyConvBlock, createConvBlock, type ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { createUpSampling } from './blocks/up-sampling.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export const unet2d5Params = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0, 0, 0.3, 0.4, 0.5], "Dropout probability in [0, 1) per level, used by that level's encoder and decoder blocks (PyMIC dropout)"),
    convDims: z
      .array(z.union([z.literal(2), z.literal(3)]))
      .length(5)
      .default([2, 2, 3, 3, 3])
      .describe('Per level, 2 (in-plane 1x3x3 convs, 1x2x2 pooling) or 3 (3x3x3 convs, 2x2x2 pooling) (PyMIC conv_dims)'),
    upMode: z
      .enum(['linear', 'transposed'])
      .default('linear')
      .describe("Decoder up-sampling: a 1x1x1 conv then (bi/tri)linear x2, or a transposed conv by the level's dimension (PyMIC bilinear: true or false)"),
  })
  .strict();
export type UNet2D5Params = z.output<typeof unet2d5Params>;
/** Whether a level convolves in-plane only (2: 1x3x3 kernels, 1x2x2 pooling) or in 3D (3: 3x3x3, 2x2x2). */
export type ConvDimension = UNet2D5Params['convDims'][number];
/** The schema's output and the instance's name and randomness. */
export type UNet2D5Args = UNet2D5Params & NetworkInstanceArgs;

interface UpBlock {
  dim: ConvDimension;
  up: ConvParameters;
  block: ConvBlock;
}

/**
 * PyMIC's UNet2D5 (pymic/net/net3d/unet2d5.py; G. Wang et al., "Automatic Segmentation of Vestibular Schwannoma from
 * T2-Weighted MRI by Deep Spatial Attention with Hardness-Weighted Loss", MICCAI 2019, without the attention module),
 * NDHWC: a five-level U-Net for anisotropic volumes whose levels are either 2D (1x3x3 convs, 1x2x2 pooling and
 * in-plane upsampling, i.e. PyMIC's per-slice Conv2d / MaxPool2d / bilinear) or 3D (3x3x3, 2x2x2, trilinear).
 * - ConvBlock: conv -> BN -> PReLU -> Dropout(p) -> conv -> BN -> PReLU (one PReLU slope per layer, initial 0.25);
 * - encoder: a ConvBlock per level, pooled (by the level's dimension) before the next;
 * - decoder: per level l from 3 to 0, upsample by level l's dimension (1x1x1 conv + linear x2, or a 2x2 / 2x2x2
 *   transposed conv), concat [skip, up], ConvBlock with level l's dimension and dropout;
 * - output: a 1x3x3 conv to class logits.
 * Batch norm over N, D, H, W is the same for a 2D level as PyMIC's BatchNorm2d on slices folded into the batch.
 *
 * `apply` takes NDHWC volumes typed as Tensor4D by the SegmentationNetwork interface (see UNet3D); or call applyVolume.
 */
export class UNet2D5 extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'UNet2D5';
  readonly className = UNet2D5.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly convDims: readonly ConvDimension[];
  readonly upMode: 'linear' | 'transposed';
  private readonly encoder: ConvBlock[];
  private readonly decoder: UpBlock[] = [];
  private readonly out: ConvParameters;

  constructor(args: UNet2D5Args) {
    super();
    const { features, dropout: rates, convDims: dims } = args;
    this.name = args.name ?? freeNetworkName('unet2d5');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.convDims = dims;
    this.upMode = args.upMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      const kernelSize = (level: number) => (dims[level] === 3 ? [3, 3, 3] : [1, 3, 3]);
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize, activation: 'prelu' });
      for (let level = 3, k = 1; level >= 0; level--, k++) {
        const in1 = features[level + 1];
        const in2 = features[level];
        const dim = dims[level];
        // Linear: a 1x1x1 conv on the volume; transposed: a 2x2 (per slice) or 2x2x2 kernel by the level's dimension.
        const up = this.upMode === 'linear' ? createUpSampling(p, `dec${k}/up`, in1, in2, 'trilinear', 3) : createUpSampling(p, `dec${k}/up`, in1, in2, 'transposed', dim);
        const block = createConvBlock(p, { path: `dec${k}`, inChannels: 2 * in2, outChannels: in2, kernelSize: kernelSize(level), dropout: rates[level], activation: 'prelu' });
        this.decoder.push({ dim, up, block });
      }
      this.out = p.conv('out', [1, 3, 3, features[0], this.classes], 9 * features[0]);
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** Height and width must be multiples of 16; depth a multiple of 2^(3D levels among the first four). */
  get sizeDivisors(): [number, number, number] {
    return [2 ** this.convDims.slice(0, 4).filter((d) => d === 3).length, 16, 16];
  }

  apply(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    return this.applyVolume(x, opts);
  }

  /** Logits [N, D, H, W, classes] for volumes [N, D, H, W, inChannels]. */
  applyVolume(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    this.checkNotDisposed();
    this.checkInput(x);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    return tf.tidy(() => {
      const downsample = (h: tf.Tensor5D, level: number) => pool(h, this.convDims[level - 1]);
      const skips = applyEncoder(this.encoder, x, { training, random, downsample });
      let h = skips[4];
      this.decoder.forEach(({ dim, up, block }, k) => {
        const skip = skips[3 - k];
        const upsampled = this.upsample(h, up, dim);
        h = applyConvBlock(block, tf.concat([skip, upsampled], 4), training, random);
      });
      return applyConvolution(this.out, h);
    });
  }

  private upsample(h: tf.Tensor5D, up: ConvParameters, dim: ConvDimension): tf.Tensor5D {
    const [n, d, height, width] = h.shape;
    if (this.upMode === 'transposed') {
      if (dim === 3) return transposedConv3d2x2x2(h, up.kernel as tf.Tensor5D, up.bias as tf.Tensor1D);
      const slices = tf.reshape(h, [n * d, height, width, h.shape[4]]) as tf.Tensor4D;
      const y = transposedConv2x2(slices, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D);
      return tf.reshape(y, [n, d, 2 * height, 2 * width, y.shape[3]]);
    }
    const reduced = applyConvolution(up, h);
    const axis = (size: number) => ({ values: upsampleMatrix(size, 'bilinear'), outSize: 2 * size, inSize: size });
    return applySeparableLinearMap(reduced, [dim === 3 ? axis(d) : null, axis(height), axis(width)]);
  }

  private checkInput(x: tf.Tensor5D): void {
    if (x.rank !== 5) throw new MicflowError('invalid-shape', `UNet2D5 ${this.name} needs NDHWC input of rank 5, got shape [${x.shape.join(', ')}]`);
    const [, d, h, w, c] = x.shape;
    if (c !== this.inChannels) throw new MicflowError('invalid-shape', `UNet2D5 ${this.name} expects ${this.inChannels} input channel(s), got ${c}`);
    const [kd, kh, kw] = this.sizeDivisors;
    if (d % kd !== 0 || h % kh !== 0 || w % kw !== 0) {
      throw new MicflowError('invalid-shape', `UNet2D5 ${this.name} input is ${d}x${h}x${w}; depth must be divisible by ${kd} and height and width by 16`);
    }
  }
}

/** 1x2x2 (in-plane, 2D level) or 2x2x2 (3D level) max pooling. */
function pool(x: tf.Tensor5D, dim: ConvDimension): tf.Tensor5D {
  if (dim === 3) return maxPool3d2x2x2(x);
  const [n, d, h, w, c] = x.shape;
  const y = maxPool2x2(tf.reshape(x, [n * d, h, w, c]) as tf.Tensor4D);
  return tf.reshape(y, [n, d, y.shape[1], y.shape[2], c]);
}

export const unet2d5Unit: NetworkUnit<UNet2D5Params, UNet2D5> = {
  className: UNet2D5.className,
  spatialDims: 3,
  description: "PyMIC's 2.5D U-Net: 2D (1x3x3) convolutions in the first levels, 3D deeper, for thick-slice volumes",
  reference: 'Wang et al. Automatic Segmentation of Vestibular Schwannoma from T2-Weighted MRI by Deep Spatial Attention with Hardness-Weighted Loss. MICCAI 2019',
  paramsSchema: unet2d5Params,
  create: (name, params, random) => new UNet2D5({ ...params, name, random }),
};
