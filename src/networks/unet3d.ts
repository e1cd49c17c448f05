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
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions } from './segmentation-network.js';

export const unet3dParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam('4 or 5', 'Feature channels per level, 4 or 5 levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam('4 or 5', [0, 0, 0.3, 0.4, 0.5], "Dropout probability in [0, 1) of each level's encoder block, one per level of features; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['trilinear', 'nearest', 'transposed'])
      .default('trilinear')
      .describe('Decoder up-sampling: a 1x1x1 conv then trilinear or nearest x2, or a 2x2x2 stride-2 transposed conv (PyMIC up_mode / trilinear)'),
    deepSupervision: z
      .boolean()
      .default(false)
      .describe('Add 1x1x1 heads to class logits on the three coarser decoder levels, for deep supervision (PyMIC deep_supervise; see UNet3D.applyMultiscale)'),
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, ONE_DROPOUT_PER_LEVEL);
export type UNet3DParams = z.output<typeof unet3dParams>;
export type UNet3DUpMode = UNet3DParams['upMode'];
/** The schema's output (all of it: callers parse their params with unet3dParams) and the instance's name and randomness. */
export type UNet3DArgs = UNet3DParams & NetworkInstanceArgs;

/**
 * PyMIC's UNet3D (pymic/net/net3d/unet3d.py; Çiçek et al., "3D U-Net: Learning Dense Volumetric Segmentation from
 * Sparse Annotation", MICCAI 2016, with batch norm, LeakyReLU and dropout), NDHWC:
 * - ConvBlock: conv3x3x3 -> BN -> LeakyReLU(0.01) -> Dropout(p) -> conv3x3x3 -> BN -> LeakyReLU(0.01);
 * - encoder: ConvBlock, then (levels - 1) DownBlocks (2x2x2 max pool, ConvBlock);
 * - decoder: (levels - 1) UpBlocks (conv1x1x1 + x2 trilinear (align_corners=True) / nearest upsampling, or a 2x2x2
 *   stride-2 transposed conv; concat [skip, up]; ConvBlock without dropout);
 * - a 1x1x1 conv to class logits, and with deep supervision one more on each of the three coarser decoder outputs.
 * Weights start as PyTorch's defaults, drawn from SeededRandom. Built on micflow's 3D ops, whose gradients are correct
 * on cpu, wasm, native and webgl (src/conformance; on webgl it trains in a tab, test/browser).
 *
 * `apply` follows the SegmentationNetwork interface, which is typed for NHWC: pass NDHWC volumes cast to Tensor4D
 * (or call {@link UNet3D.applyVolume}); the result is NDHWC logits.
 */
export class UNet3D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'UNet3D';
  readonly className = UNet3D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet3DUpMode;
  readonly deepSupervision: boolean;
  private readonly encoder: ConvBlock[];
  private readonly decoder: UpBlock[];
  private readonly out: ConvParameters;
  private readonly deepHeads: ConvParameters[] = [];

  constructor(args: UNet3DArgs) {
    super();
    const { features, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('unet3d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.deepSupervision = args.deepSupervision;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize: [3, 3, 3] });
      this.decoder = createDecoder(p, { prefix: 'dec', featureChannels: features, upMode: this.upMode, spatialDims: 3 });
      this.out = p.conv('out', [1, 1, 1, features[0], this.classes], features[0]);
      if (this.deepSupervision) {
        // PyMIC's out_conv1..3 read the decoder outputs at features[1], features[2], features[3].
        for (let level = 1; level <= 3; level++) {
          this.deepHeads.push(p.conv(`deep${level}`, [1, 1, 1, features[level], this.classes], features[level]));
        }
      }
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** Depth, height and width must be multiples of this. */
  get sizeDivisor(): number {
    return 2 ** (this.features.length - 1);
  }

  /** SegmentationNetwork's entry point; takes NDHWC volumes (typed Tensor4D by the interface), returns NDHWC logits. */
  apply(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    return this.applyVolume(x, opts);
  }

  /** Logits [N, D, H, W, classes] for volumes [N, D, H, W, inChannels]. */
  applyVolume(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    return tf.tidy(() => {
      const outputs = this.forward(x, opts, false);
      return outputs[0];
    });
  }

  /**
   * The full-resolution logits followed, with deep supervision, by the logits of the three coarser decoder levels at
   * their own resolution (1/2, 1/4, 1/8), for DeepSupervisionLoss. Without deep supervision, just the first.
   */
  applyMultiscale(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D[] {
    return tf.tidy(() => this.forward(x, opts, true));
  }

  /** 'main', then with deep supervision 'scale2', 'scale4', 'scale8' (each head's down-sampling factor), as UNet2D. */
  get headNames(): readonly string[] {
    return ['main', ...this.deepHeads.map((_, i) => `scale${2 ** (i + 1)}`)];
  }

  /** The same as applyMultiscale, for ForwardHeads: NDHWC volumes typed Tensor4D by the interface. */
  applyHeads(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D[] {
    return this.applyMultiscale(x, opts);
  }

  private forward(x: tf.Tensor5D, opts: NetworkApplyOptions, multiscale: boolean): tf.Tensor5D[] {
    this.checkNotDisposed();
    this.checkInput(x);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    const skips = applyEncoder(this.encoder, x, { training, random });
    const decoded = applyDecoder(this.decoder, skips, this.upMode, training, random);
    const logits = applyConvolution(this.out, decoded[decoded.length - 1]);
    if (!multiscale || !this.deepSupervision) return [logits];
    // Coarse to fine, sources[length - 1 - level] has features[level] channels at 1/2^level resolution; with 4 levels
    // the coarsest head reads the bottleneck, as PyMIC's x_d3 = x3.
    const sources = this.features.length === 4 ? [skips[skips.length - 1], ...decoded] : decoded;
    const coarser = this.deepHeads.map((head, i) => applyConvolution(head, sources[sources.length - 2 - i]));
    return [logits, ...coarser];
  }

  private checkInput(x: tf.Tensor5D): void {
    if (x.rank !== 5) {
      throw new MicflowError('invalid-shape', `UNet3D ${this.name} needs NDHWC input of rank 5, got shape [${x.shape.join(', ')}]`);
    }
    const [, d, h, w, c] = x.shape;
    if (c !== this.inChannels) {
      throw new MicflowError('invalid-shape', `UNet3D ${this.name} expects ${this.inChannels} input channel(s), got ${c}`);
    }
    const k = this.sizeDivisor;
    if (d % k !== 0 || h % k !== 0 || w % k !== 0) {
      throw new MicflowError(
        'invalid-shape',
        `UNet3D ${this.name} input is ${d}x${h}x${w}; depth, height and width must be divisible by ${k} ` +
          `(2^${this.features.length - 1}, one halving per down block)`,
      );
    }
  }
}

export const unet3dUnit: NetworkUnit<UNet3DParams, UNet3D> = {
  className: UNet3D.className,
  spatialDims: 3,
  description: "PyMIC's 3D U-Net (conv-BN-LeakyReLU blocks, dropout per level, trilinear/nearest/transposed up)",
  reference: 'Çiçek, Abdulkadir, Lienkamp, Brox, Ronneberger. 3D U-Net. MICCAI 2016',
  paramsSchema: unet3dParams,
  create: (name, params, random) => new UNet3D({ ...params, name, random }),
};
