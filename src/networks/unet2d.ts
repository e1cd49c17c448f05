import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam, ONE_DROPOUT_PER_LEVEL } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export const unet2dParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam('4 or 5', 'Feature channels per level, 4 or 5 levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam('4 or 5', [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block, one per level of features; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['bilinear', 'nearest', 'transposed'])
      .default('bilinear')
      .describe('Decoder up-sampling: a 1x1 conv then bilinear or nearest x2, or a 2x2 stride-2 transposed conv (PyMIC up_mode 2, 1, 0)'),
    deepSupervision: z
      .boolean()
      .default(false)
      .describe('Add 1x1 heads to class logits on the three coarser decoder levels, for deep supervision (PyMIC deep_supervise; see UNet2D.applyMultiscale)'),
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, ONE_DROPOUT_PER_LEVEL);
export type UNet2DParams = z.output<typeof unet2dParams>;
export type UNet2DUpMode = UNet2DParams['upMode'];
/** The schema's output (all of it: callers parse their params with unet2dParams) and the instance's name and randomness. */
export type UNet2DArgs = UNet2DParams & NetworkInstanceArgs;

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
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet2DUpMode;
  private readonly encoder: ConvBlock[];
  private readonly decoder: UpBlock[];
  private readonly out: ConvParameters;
  private readonly deepHeads: ConvParameters[] = [];

  constructor(args: UNet2DArgs) {
    super();
    const { features, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
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
    return 2 ** (this.features.length - 1);
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
    // Coarse to fine, sources[length - 1 - level] has features[level] channels at 1/2^level resolution.
    const sources = this.features.length === 4 ? [skips[skips.length - 1], ...decoded] : decoded;
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
          `(2^${this.features.length - 1}, one halving per down block)`,
      );
    }
  }
}

export const unet2dUnit: NetworkUnit<UNet2DParams, UNet2D> = {
  className: UNet2D.className,
  spatialDims: 2,
  description: "PyMIC's 2D U-Net (conv-BN-LeakyReLU blocks, dropout per level, configurable up-sampling)",
  reference: 'Ronneberger, Fischer, Brox. U-Net. MICCAI 2015',
  paramsSchema: unet2dParams,
  create: (name, params, random) => new UNet2D({ ...params, name, random }),
};
