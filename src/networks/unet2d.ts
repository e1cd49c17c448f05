import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import { checkFourOrFiveLevelArguments } from './network-arguments.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export type UNet2DUpMode = 'bilinear' | 'nearest' | 'transposed';

export interface UNet2DArgs {
  /** Prefix of every variable name; must be unique among live networks. Default 'unet2d', 'unet2d_1', ... */
  name?: string;
  inChannels: number;
  classes: number;
  /** Channels per level, 5 levels as PyMIC (or 4 for a smaller net). Default [16, 32, 64, 128, 256]. */
  featureChannels?: readonly number[];
  /** Dropout probability per encoder level (decoder blocks use none, as PyMIC). Default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout?: readonly number[];
  /** Decoder upsampling: 1x1 conv then bilinear / nearest x2, or a 2x2 stride-2 transposed conv. Default 'bilinear'. */
  upMode?: UNet2DUpMode;
  /** Randomness for weight initialisation; each variable draws from `random.derive(its path)`. Default seed 0. */
  random?: SeededRandom;
  /** Add PyMIC's deep-supervision heads: 1x1 convs to class logits on the three coarser decoder levels. */
  deepSupervision?: boolean;
}

export const UNET2D_DEFAULT_FEATURES = [16, 32, 64, 128, 256] as const;
export const UNET2D_DEFAULT_DROPOUT = [0.05, 0.1, 0.2, 0.3, 0.5] as const;
/**
 * PyMIC's UNet2D (pymic/net/net2d/unet2d.py; Ronneberger et al., MICCAI 2015, with batch norm, LeakyReLU and
 * dropout), NHWC:
 * - ConvBlock: conv3x3 -> BN -> LeakyReLU(0.01) -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU(0.01);
 * - encoder: ConvBlock, then (levels - 1) DownBlocks (2x2 max pool, ConvBlock);
 * - decoder: (levels - 1) UpBlocks (conv1x1 + x2 upsampling, or a 2x2 stride-2 transposed conv; concat [skip, up];
 *   ConvBlock without dropout);
 * - a 1x1 conv to class logits, and with `deepSupervision` one more on each of the three coarser decoder outputs
 *   (see applyMultiscale).
 * Weights start as PyTorch's defaults (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for conv weights and biases; BN gamma 1,
 * beta 0, running mean 0, variance 1), drawn from SeededRandom so a seed gives the same weights on every backend.
 */
export class UNet2D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'UNet2D';
  readonly className = UNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly featureChannels: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet2DUpMode;
  private readonly encoder: ConvBlock[];
  private readonly decoder: UpBlock[];
  private readonly out: ConvParameters;
  private readonly deepHeads: ConvParameters[] = [];

  constructor(args: UNet2DArgs) {
    super();
    const features = [...(args.featureChannels ?? UNET2D_DEFAULT_FEATURES)];
    const rates = [...(args.dropout ?? UNET2D_DEFAULT_DROPOUT.slice(0, features.length))];
    checkFourOrFiveLevelArguments('UNet2D', args, features, rates);
    this.name = args.name ?? freeNetworkName('unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.featureChannels = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode ?? 'bilinear';
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize: [3, 3] });
      this.decoder = createDecoder(p, { prefix: 'dec', featureChannels: features, upMode: this.upMode, spatialDims: 2 });
      this.out = p.conv('out', [1, 1, features[0], this.classes], features[0]);
      if (args.deepSupervision) {
        // PyMIC's out_conv1..3 read the decoder outputs with features[1], features[2], features[3] channels.
        for (let level = 1; level <= 3; level++) this.deepHeads.push(p.conv(`deep${level}`, [1, 1, features[level], this.classes], features[level]));
      }
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** Height and width must be multiples of this. */
  get sizeDivisor(): number {
    return 2 ** (this.featureChannels.length - 1);
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return tf.tidy(() => this.forward(x, opts, false)[0]);
  }

  /**
   * The full-resolution logits followed, when built with `deepSupervision`, by the logits of the three coarser decoder
   * levels at their own resolution (1/2, 1/4, 1/8; with 4 levels the coarsest reads the bottleneck, as PyMIC's
   * x_d3 = x3), for deep supervision (DeepSupervisionLoss). Without deep supervision, just the first.
   */
  applyMultiscale(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    return tf.tidy(() => this.forward(x, opts, true));
  }

  /** 'main', then with deep supervision 'scale2', 'scale4', 'scale8' (the resolution divisor of each head). */
  get headNames(): readonly string[] {
    return ['main', ...this.deepHeads.map((_, i) => `scale${2 ** (i + 1)}`)];
  }

  /** The same as applyMultiscale: full-resolution logits, then the coarser deep-supervision heads. */
  applyHeads(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    return this.applyMultiscale(x, opts);
  }

  private forward(x: tf.Tensor4D, opts: NetworkApplyOptions, multiscale: boolean): tf.Tensor4D[] {
    this.checkNotDisposed();
    this.checkInput(x);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    const skips = applyEncoder(this.encoder, x, { training, random });
    const decoded = applyDecoder(this.decoder, skips, this.upMode, training, random);
    const logits = applyConvolution(this.out, decoded[decoded.length - 1]);
    if (!multiscale || this.deepHeads.length === 0) return [logits];
    // Coarse to fine, sources[length - 1 - level] has featureChannels[level] channels at 1/2^level resolution.
    const sources = this.featureChannels.length === 4 ? [skips[skips.length - 1], ...decoded] : decoded;
    const coarser = this.deepHeads.map((head, i) => applyConvolution(head, sources[sources.length - 2 - i]));
    return [logits, ...coarser];
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) {
      throw new MicflowError('invalid-shape', `UNet2D ${this.name} needs NHWC input of rank 4, got shape [${x.shape.join(', ')}]`);
    }
    const [, height, width, channels] = x.shape;
    if (channels !== this.inChannels) {
      throw new MicflowError('invalid-shape', `UNet2D ${this.name} expects ${this.inChannels} input channel(s), got ${channels}`);
    }
    const d = this.sizeDivisor;
    if (height % d !== 0 || width % d !== 0) {
      throw new MicflowError(
        'invalid-shape',
        `UNet2D ${this.name} input is ${height}x${width}; height and width must be divisible by ${d} ` +
          `(2^${this.featureChannels.length - 1}, one halving per down block)`,
      );
    }
  }
}
