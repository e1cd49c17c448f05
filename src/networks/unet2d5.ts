import * as tf from '@tensorflow/tfjs-core';
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
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import { checkChannelCounts, checkDropoutRates } from './network-arguments.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

/** Whether a level convolves in-plane only (2: 1x3x3 kernels, 1x2x2 pooling) or in 3D (3: 3x3x3, 2x2x2). */
export type ConvDimension = 2 | 3;

export interface UNet2D5Args {
  name?: string;
  inChannels: number;
  classes: number;
  /** Five channel counts. Default [16, 32, 64, 128, 256]. */
  featureChannels?: readonly number[];
  /** Dropout per level, used in that level's encoder and decoder blocks (as PyMIC). Default [0, 0, 0.3, 0.4, 0.5]. */
  dropout?: readonly number[];
  /** 2 or 3 per level. Default [2, 2, 3, 3, 3] (PyMIC's example). */
  convDims?: readonly ConvDimension[];
  /** Decoder upsampling: 1x1 conv + (bi/tri)linear x2 (align_corners=True), or a transposed conv. Default 'linear'. */
  upMode?: 'linear' | 'transposed';
  random?: SeededRandom;
}

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
  readonly featureChannels: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly convDims: readonly ConvDimension[];
  readonly upMode: 'linear' | 'transposed';
  private readonly encoder: ConvBlock[];
  private readonly decoder: UpBlock[] = [];
  private readonly out: ConvParameters;

  constructor(args: UNet2D5Args) {
    super();
    const features = [...(args.featureChannels ?? [16, 32, 64, 128, 256])];
    const rates = [...(args.dropout ?? [0, 0, 0.3, 0.4, 0.5])];
    const dims = [...(args.convDims ?? [2, 2, 3, 3, 3])];
    if (features.length !== 5 || rates.length !== 5 || dims.length !== 5) {
      throw new MicflowError('invalid-argument', `UNet2D5 needs 5 feature channel counts, dropout rates and conv dims, got ${features.length}, ${rates.length}, ${dims.length}`);
    }
    checkChannelCounts('UNet2D5', args, features);
    checkDropoutRates('UNet2D5', rates);
    if (dims.some((d) => d !== 2 && d !== 3)) throw new MicflowError('invalid-argument', `UNet2D5 conv dims must be 2 or 3, got [${dims}]`);
    this.name = args.name ?? freeNetworkName('unet2d5');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.featureChannels = features;
    this.dropoutRates = rates;
    this.convDims = dims;
    this.upMode = args.upMode ?? 'linear';
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

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return this.applyVolume(x as unknown as tf.Tensor5D, opts) as unknown as tf.Tensor4D;
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
