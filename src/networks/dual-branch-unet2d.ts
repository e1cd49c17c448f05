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
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

/** What `apply` returns: the mean of the two branches' logits, or one branch. */
export const dualBranchOutputModeParam = z
  .enum(['average', 'first', 'second'])
  .default('average')
  .describe("What the network outputs at inference and in the Forward stage: the mean of the two branches' logits, or one branch (PyMIC output_mode)");
export type DualBranchOutputMode = z.output<typeof dualBranchOutputModeParam>;

export const dualBranchUNet2DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['bilinear', 'nearest', 'transposed'])
      .default('bilinear')
      .describe("Both decoders' up-sampling: a 1x1 conv then bilinear or nearest x2, or a 2x2 stride-2 transposed conv (PyMIC up_mode 2, 1, 0)"),
    outputMode: dualBranchOutputModeParam,
  })
  .strict();
export type DualBranchUNet2DParams = z.output<typeof dualBranchUNet2DParams>;
/** The schema's output and the instance's name and randomness. */
export type DualBranchUNet2DArgs = DualBranchUNet2DParams & NetworkInstanceArgs;

interface Decoder {
  ups: UpBlock[];
  out: ConvParameters;
}

/**
 * PyMIC's UNet2D_DualBranch (pymic/net/net2d/unet2d_dual_branch.py; X. Luo, M. Hu, W. Liao, S. Zhai, T. Song,
 * G. Wang, S. Zhang, "Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed
 * Pseudo Labels Supervision", MICCAI 2022), NHWC: UNet2D's encoder shared by two independently initialised UNet2D
 * decoders, each with its own 1x1 output conv. Training uses both outputs ({@link DualBranchUNet2D.applyBranches}:
 * e.g. partial cross-entropy on each plus a loss against their dynamically mixed pseudo label); `apply` gives the
 * inference output of `outputMode`.
 */
export class DualBranchUNet2D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'DualBranchUNet2D';
  readonly className = DualBranchUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: 'bilinear' | 'nearest' | 'transposed';
  readonly outputMode: DualBranchOutputMode;
  private readonly encoder: ConvBlock[];
  private readonly decoders: Decoder[] = [];

  constructor(args: DualBranchUNet2DArgs) {
    super();
    const { features: f, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('dual_branch_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.outputMode = args.outputMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: f, dropout: rates, kernelSize: [3, 3] });
      for (const branch of ['dec_a', 'dec_b']) {
        const ups = createDecoder(p, { prefix: branch, featureChannels: f, upMode: this.upMode, spatialDims: 2 });
        this.decoders.push({ ups, out: p.conv(`${branch}/out`, [1, 1, f[0], this.classes], f[0]) });
      }
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  /** The logits of `outputMode`: the mean of both branches, or the first or second branch. */
  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return tf.tidy(() => {
      const [first, second] = this.branches(x, opts);
      if (this.outputMode === 'first') return first;
      if (this.outputMode === 'second') return second;
      return tf.div(tf.add(first, second), 2) as tf.Tensor4D;
    });
  }

  readonly headNames: readonly string[] = ['first', 'second'];

  /** Both branches' logits (the same as applyBranches), for ForwardHeads. */
  applyHeads(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    return this.applyBranches(x, opts);
  }

  /** Both branches' logits, for training. */
  applyBranches(x: tf.Tensor4D, opts: NetworkApplyOptions): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => this.branches(x, opts));
  }

  private branches(x: tf.Tensor4D, opts: NetworkApplyOptions): [tf.Tensor4D, tf.Tensor4D] {
    this.checkNotDisposed();
    this.checkImageInput(x, this.inChannels, 16);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    const skips = applyEncoder(this.encoder, x, { training, random });
    const decode = (decoder: Decoder) => {
      const decoded = applyDecoder(decoder.ups, skips, this.upMode, training, random);
      return applyConvolution(decoder.out, decoded[decoded.length - 1]);
    };
    return [decode(this.decoders[0]), decode(this.decoders[1])];
  }
}

export const dualBranchUNet2DUnit: NetworkUnit<DualBranchUNet2DParams, DualBranchUNet2D> = {
  className: DualBranchUNet2D.className,
  spatialDims: 2,
  description: "PyMIC's dual-branch U-Net: a shared encoder and two decoders, output averaged or one branch",
  reference: 'Luo et al. Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed Pseudo Labels Supervision. MICCAI 2022',
  paramsSchema: dualBranchUNet2DParams,
  create: (name, params, random) => new DualBranchUNet2D({ ...params, name, random }),
};
