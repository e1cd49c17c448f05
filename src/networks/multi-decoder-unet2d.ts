import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions } from './segmentation-network.js';

export const multiDecoderUNet2DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block; decoder blocks use none (PyMIC dropout)"),
    upModes: z
      .array(z.enum(['transposed', 'nearest', 'bilinear']))
      .min(2)
      .max(4)
      .default(['transposed', 'nearest', 'bilinear'])
      .describe("One decoder per entry (2 to 4), in head order, by its up-sampling (PyMIC's MCNet2D up_mode 0, 1, 2: transposed, nearest, bilinear; MC-Net: 2 decoders)"),
    outputMode: z
      .enum(['first', 'average'])
      .default('first')
      .describe("What the network outputs at inference and in the Forward stage: the first decoder's logits (PyMIC's MCNet2D) or the mean of all"),
  })
  .strict();
export type MultiDecoderUNet2DParams = z.output<typeof multiDecoderUNet2DParams>;
/** A decoder's upsampling: PyMIC's up_mode 0 ('transposed'), 1 ('nearest') and 2 ('bilinear'). */
export type MultiDecoderUpMode = MultiDecoderUNet2DParams['upModes'][number];
/** What `apply` (inference, validation) returns: the first decoder's logits (PyMIC's MCNet2D) or the mean of all. */
export type MultiDecoderOutputMode = MultiDecoderUNet2DParams['outputMode'];
/** The schema's output and the instance's name and randomness. */
export type MultiDecoderUNet2DArgs = MultiDecoderUNet2DParams & NetworkInstanceArgs;

interface Decoder {
  upMode: MultiDecoderUpMode;
  ups: UpBlock[];
  out: ConvParameters;
}

/** Variable prefix and head name stem of decoder k: dec_a, dec_b, ... (dec_a and dec_b as DualBranchUNet2D). */
const decoderPrefix = (k: number) => `dec_${String.fromCharCode(97 + k)}`;

/**
 * One UNet2D encoder shared by 2–4 UNet2D decoders that differ in their upsampling — the multi-decoder network of
 * mutual consistency learning: MC-Net (Y. Wu, M. Xu, Z. Ge, J. Cai, L. Zhang, "Semi-supervised left atrium
 * segmentation with mutual consistency training", MICCAI 2021: transposed convolution and linear interpolation) and
 * MC-Net+ (Y. Wu, Z. Ge, D. Zhang, M. Xu, L. Zhang, Y. Xia, J. Cai, "Mutual consistency learning for semi-supervised
 * medical image segmentation", MedIA 2022: transposed, linear and nearest), as PyMIC's MCNet2D
 * (pymic/net/net2d/unet2d_mcnet.py: up_mode 0, 1, 2 = transposed, nearest, bilinear). NHWC. Each decoder has its own
 * weights and 1x1 output conv; decoder blocks have no dropout, as micflow's UNet2D (PyMIC's newer Decoder adds
 * dropout there). The decoders' different upsampling makes their predictions differ — the disagreement MC-Net's mutual
 * consistency trains on — so {@link MultiDecoderUNet2D.applyHeads} gives every decoder's logits (for ForwardHeads),
 * and `apply` the inference output of `outputMode` (PyMIC's MCNet2D infers with the first decoder).
 * DualBranchUNet2D is the two-decoder case with one upsampling mode for both.
 */
export class MultiDecoderUNet2D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'MultiDecoderUNet2D';
  readonly className = MultiDecoderUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upModes: readonly MultiDecoderUpMode[];
  readonly outputMode: MultiDecoderOutputMode;
  readonly headNames: readonly string[];
  private readonly encoder: ConvBlock[];
  private readonly decoders: Decoder[] = [];

  constructor(args: MultiDecoderUNet2DArgs) {
    super();
    const { features: f, dropout: rates, upModes } = args;
    this.name = args.name ?? freeNetworkName('multi_decoder_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.upModes = upModes;
    this.outputMode = args.outputMode;
    this.headNames = upModes.map((mode, k) => `${decoderPrefix(k)}_${mode}`);
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: f, dropout: rates, kernelSize: [3, 3] });
      upModes.forEach((upMode, k) => {
        const prefix = decoderPrefix(k);
        const ups = createDecoder(p, { prefix, featureChannels: f, upMode, spatialDims: 2 });
        this.decoders.push({ upMode, ups, out: p.conv(`${prefix}/out`, [1, 1, f[0], this.classes], f[0]) });
      });
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** The first decoder's logits, or the mean of all decoders' logits (`outputMode`). */
  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return tf.tidy(() => {
      if (this.outputMode === 'first') return this.heads(x, opts, 1)[0];
      const all = this.heads(x, opts, this.decoders.length);
      return tf.div(tf.addN(all), all.length) as tf.Tensor4D;
    });
  }

  /** Every decoder's logits, in the order of `upModes`; the encoder runs once. */
  applyHeads(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    return tf.tidy(() => this.heads(x, opts, this.decoders.length));
  }

  private heads(x: tf.Tensor4D, opts: NetworkApplyOptions, count: number): tf.Tensor4D[] {
    this.checkNotDisposed();
    this.checkImageInput(x, this.inChannels, 16);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    const skips = applyEncoder(this.encoder, x, { training, random });
    return this.decoders.slice(0, count).map((decoder) => {
      const decoded = applyDecoder(decoder.ups, skips, decoder.upMode, training, random);
      return applyConvolution(decoder.out, decoded[decoded.length - 1]);
    });
  }
}

export const multiDecoderUNet2DUnit: NetworkUnit<MultiDecoderUNet2DParams, MultiDecoderUNet2D> = {
  className: MultiDecoderUNet2D.className,
  spatialDims: 2,
  description: 'U-Net encoder with 2-4 decoders that differ in upsampling (MC-Net); heads for ForwardHeads, first or mean at inference',
  reference: 'Wu et al. Semi-supervised left atrium segmentation with mutual consistency training. MICCAI 2021; Wu et al. MedIA 2022',
  paramsSchema: multiDecoderUNet2DParams,
  create: (name, params, random) => new MultiDecoderUNet2D({ ...params, name, random }),
};
