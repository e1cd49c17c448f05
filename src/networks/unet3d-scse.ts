import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlockSpec } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { applyScSEConvBlock, createScSEConvBlock, type ScSEConvBlock } from './blocks/scse.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';
import type { UNet3DUpMode } from './unet3d.js';

export const unet3dScSEParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC asserts five), each >= 2: the channel SE halves them (PyMIC feature_chns)', 2),
    dropout: dropoutPerLevelParam(5, [0, 0, 0.3, 0.4, 0.5], "Dropout probability in [0, 1) per level, used by that level's encoder block and, as PyMIC, by the decoder block back to it (PyMIC dropout)"),
    upMode: z
      .enum(['trilinear', 'nearest', 'transposed'])
      .default('trilinear')
      .describe("Decoder up-sampling: a 1x1x1 conv then trilinear or nearest x2, or a 2x2x2 stride-2 transposed conv (PyMIC's earlier UNet3D_ScSE read trilinear but always built trilinear up blocks; its current one takes up_mode with these three choices)"),
  })
  .strict();
export type UNet3DScSEParams = z.output<typeof unet3dScSEParams>;
/** The schema's output and the instance's name and randomness. */
export type UNet3DScSEArgs = UNet3DScSEParams & NetworkInstanceArgs;

/**
 * PyMIC's UNet3D_ScSE (pymic/net/net3d/unet3d_scse.py with scse3d.py): the 3D U-Net whose every conv block ends in a
 * concurrent spatial and channel squeeze & excitation block (A. G. Roy, N. Navab, C. Wachinger, "Concurrent Spatial
 * and Channel 'Squeeze & Excitation' in Fully Convolutional Networks", MICCAI 2018; "Recalibrating Fully Convolutional
 * Networks With Spatial and Channel Squeeze and Excitation Blocks", IEEE TMI 2019), NDHWC:
 * - ConvScSEBlock3D: conv3x3x3 -> BN -> LeakyReLU(0.01) -> Dropout(p) -> conv3x3x3 -> BN -> LeakyReLU(0.01) -> scSE;
 * - scSE(x) = max(cSE(x), sSE(x)) (see blocks/scse.ts): cSE scales channels by sigmoid(fc2(relu(fc1(mean_DHW x))))
 *   with a C/2 bottleneck (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018); sSE scales voxels by
 *   sigmoid(conv1x1x1(x) to 1 channel);
 * - encoder: ConvScSEBlock3D, then four DownBlocks (2x2x2 max pool, ConvScSEBlock3D), five levels as PyMIC asserts;
 * - decoder: four UpBlocks (conv1x1x1 + trilinear x2 (align_corners=True), or nearest x2, or a 2x2x2 stride-2
 *   transposed conv; concat [skip, up]; ConvScSEBlock3D with the dropout of the level it decodes to, as PyMIC);
 * - output: a 3x3x3 conv to class logits (the out_conv of PyMIC's earlier unet3d_scse.py, kernel 3, padding 1).
 *
 * PyMIC's current unet3d_scse.py builds UNet3D_ScSE as UNet3D with EncoderScSE and DecoderScSE, which keeps the scSE
 * blocks, the per-level decoder dropout and the three up-sampling modes above, but takes its output conv from the UNet3D
 * Decoder: a 1x1x1 conv (and optional multiscale outputs, four levels allowed). micflow keeps the earlier 3x3x3
 * output conv, so it differs from the current PyMIC network in that layer alone, and its weights do not load into a
 * current PyMIC checkpoint as they are.
 * Weights start as PyTorch's defaults, drawn from SeededRandom.
 *
 * `apply` follows the SegmentationNetwork interface, which is typed for NHWC: pass NDHWC volumes cast to Tensor4D
 * (or call {@link UNet3DScSE.applyVolume}); the result is NDHWC logits.
 */
export class UNet3DScSE extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'UNet3DScSE';
  readonly className = UNet3DScSE.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet3DUpMode;
  private readonly encoder: ScSEConvBlock[];
  private readonly decoder: UpBlock<ScSEConvBlock>[];
  private readonly out: ConvParameters;

  constructor(args: UNet3DScSEArgs) {
    super();
    const { features, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('unet3d_scse');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      const createBlock = (spec: ConvBlockSpec) => createScSEConvBlock(p, spec);
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize: [3, 3, 3], createBlock });
      this.decoder = createDecoder(p, {
        prefix: 'dec',
        featureChannels: features,
        upMode: this.upMode,
        spatialDims: 3,
        createBlock: (path, inChannels, outChannels, level) =>
          createScSEConvBlock(p, { path, inChannels, outChannels, kernelSize: [3, 3, 3], dropout: rates[level] }),
      });
      this.out = p.conv('out', [3, 3, 3, features[0], this.classes], 27 * features[0]);
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** Depth, height and width must be multiples of this (four 2x2x2 poolings). */
  get sizeDivisor(): number {
    return 16;
  }

  /** SegmentationNetwork's entry point; takes NDHWC volumes (typed Tensor4D by the interface), returns NDHWC logits. */
  apply(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    return this.applyVolume(x, opts);
  }

  /** Logits [N, D, H, W, classes] for volumes [N, D, H, W, inChannels]. */
  applyVolume(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    this.checkNotDisposed();
    this.checkVolumeInput(x, this.inChannels, this.sizeDivisor);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    return tf.tidy(() => {
      const applyBlock = (block: ScSEConvBlock, h: tf.Tensor5D) => applyScSEConvBlock(block, h, training, random);
      const skips = applyEncoder(this.encoder, x, { training, random, applyBlock });
      const decoded = applyDecoder(this.decoder, skips, this.upMode, training, random, applyBlock);
      return applyConvolution(this.out, decoded[decoded.length - 1]);
    });
  }
}

export const unet3dScSEUnit: NetworkUnit<UNet3DScSEParams, UNet3DScSE> = {
  className: UNet3DScSE.className,
  spatialDims: 3,
  description: "PyMIC's 3D U-Net with an scSE block (channel and spatial squeeze & excitation) after every conv block, on NDHWC volumes",
  reference: "Roy, Navab, Wachinger. Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully Convolutional Networks. MICCAI 2018",
  paramsSchema: unet3dScSEParams,
  create: (name, params, random) => new UNet3DScSE({ ...params, name, random }),
};
