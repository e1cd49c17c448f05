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

export const unet2dScSEParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest, each >= 2: the channel SE halves them (PyMIC feature_chns)', 2),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['bilinear', 'nearest', 'transposed'])
      .default('bilinear')
      .describe("Decoder up-sampling: a 1x1 conv then bilinear or nearest x2, or a 2x2 stride-2 transposed conv (PyMIC's earlier UNet2D_ScSE, which micflow follows, always built bilinear up blocks whatever its bilinear said; its current one takes up_mode)"),
  })
  .strict();
export type UNet2DScSEParams = z.output<typeof unet2dScSEParams>;
/** The schema's output and the instance's name and randomness. */
export type UNet2DScSEArgs = UNet2DScSEParams & NetworkInstanceArgs;

/**
 * PyMIC's UNet2D_ScSE (pymic/net/net2d/unet2d_scse.py): the 2D U-Net whose every conv block ends in a concurrent
 * spatial and channel squeeze & excitation block (A. G. Roy, N. Navab, C. Wachinger, "Concurrent Spatial and Channel
 * 'Squeeze & Excitation' in Fully Convolutional Networks", MICCAI 2018; "Recalibrating Fully Convolutional Networks
 * With Spatial and Channel Squeeze and Excitation Blocks", IEEE TMI 2019), NHWC:
 * - ConvBlock: conv3x3 -> BN -> LeakyReLU -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU -> scSE;
 * - scSE(x) = max(cSE(x), sSE(x)): cSE scales channels by sigmoid(fc2(relu(fc1(mean_HW x)))) with a C/2 bottleneck
 *   (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018); sSE scales pixels by sigmoid(conv1x1(x) to 1 channel);
 * - encoder / decoder as UNet2D (decoder blocks without dropout); output: a 3x3 conv to class logits.
 *
 * This is PyMIC's earlier unet2d_scse.py (a standalone module with its own blocks, `out_conv` a 3x3 conv with
 * padding 1, up-sampling always bilinear; decoder blocks with dropout 0 in its first version, with the per-level rates
 * in a later one). PyMIC's current unet2d_scse.py differs:
 * UNet2D_ScSE subclasses UNet2D and defines EncoderScSE / DecoderScSE, but its constructor assigns the plain
 * `Encoder(params)` and `Decoder(params)`, so it builds no scSE block at all and is PyMIC's plain UNet2D: output a
 * 1x1 conv (the UNet2D Decoder's `out_conv`), decoder blocks with the dropout of the level they decode to, `up_mode`
 * honoured (transposed conv, nearest, bilinear or bicubic), four or five levels, optional multiscale outputs. micflow
 * keeps the earlier, working design (scSE blocks and the 3x3 output conv), so its weights do not map one-to-one onto a
 * current PyMIC UNet2D_ScSE checkpoint. The closest micflow network to the current one is UNet2D (1x1 output conv,
 * up-sampling mode; but its decoder blocks use no dropout).
 */
export class UNet2DScSE extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'UNet2DScSE';
  readonly className = UNet2DScSE.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: 'bilinear' | 'nearest' | 'transposed';
  private readonly encoder: ScSEConvBlock[];
  private readonly decoder: UpBlock<ScSEConvBlock>[];
  private readonly out: ConvParameters;

  constructor(args: UNet2DScSEArgs) {
    super();
    const { features, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('unet2d_scse');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      const createBlock = (spec: ConvBlockSpec) => createScSEConvBlock(p, spec);
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize: [3, 3], createBlock });
      this.decoder = createDecoder(p, {
        prefix: 'dec',
        featureChannels: features,
        upMode: this.upMode,
        spatialDims: 2,
        createBlock: (path, inChannels, outChannels) => createScSEConvBlock(p, { path, inChannels, outChannels, kernelSize: [3, 3], dropout: 0 }),
      });
      this.out = p.conv('out', [3, 3, features[0], this.classes], 9 * features[0]);
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    this.checkNotDisposed();
    this.checkImageInput(x, this.inChannels, 16);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    return tf.tidy(() => {
      const applyBlock = (block: ScSEConvBlock, h: tf.Tensor4D) => applyScSEConvBlock(block, h, training, random);
      const skips = applyEncoder(this.encoder, x, { training, random, applyBlock });
      const decoded = applyDecoder(this.decoder, skips, this.upMode, training, random, applyBlock);
      return applyConvolution(this.out, decoded[decoded.length - 1]);
    });
  }
}

export const unet2dScSEUnit: NetworkUnit<UNet2DScSEParams, UNet2DScSE> = {
  className: UNet2DScSE.className,
  spatialDims: 2,
  description: "PyMIC's 2D U-Net with an scSE block (channel and spatial squeeze & excitation) after every conv block",
  reference: "Roy, Navab, Wachinger. Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully Convolutional Networks. MICCAI 2018",
  paramsSchema: unet2dScSEParams,
  create: (name, params, random) => new UNet2DScSE({ ...params, name, random }),
};
