import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { dualBranchOutputModeParam, type DualBranchOutputMode } from './dual-branch-unet2d.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam, ONE_DROPOUT_PER_LEVEL } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions } from './segmentation-network.js';
import type { UNet3DUpMode } from './unet3d.js';

export const dualBranchUNet3DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam('4 or 5', 'Feature channels per level, 4 or 5 levels from the finest, as UNet3D (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam('4 or 5', [0, 0, 0.3, 0.4, 0.5], "Dropout probability in [0, 1) of each level's encoder block, one per level of features; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['trilinear', 'nearest', 'transposed'])
      .default('trilinear')
      .describe("Both decoders' up-sampling: a 1x1x1 conv then trilinear or nearest x2, or a 2x2x2 stride-2 transposed conv (PyMIC up_mode / trilinear)"),
    outputMode: dualBranchOutputModeParam,
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, ONE_DROPOUT_PER_LEVEL);
export type DualBranchUNet3DParams = z.output<typeof dualBranchUNet3DParams>;
/** The schema's output and the instance's name and randomness. */
export type DualBranchUNet3DArgs = DualBranchUNet3DParams & NetworkInstanceArgs;

interface Decoder {
  ups: UpBlock[];
  out: ConvParameters;
}

/**
 * PyMIC's UNet3D_DualBranch (pymic/net/net3d/unet3d_dual_branch.py; X. Luo, M. Hu, W. Liao, S. Zhai, T. Song,
 * G. Wang, S. Zhang, "Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed
 * Pseudo Labels Supervision", MICCAI 2022), NDHWC: UNet3D's encoder (4 or 5 levels) shared by two independently
 * initialised UNet3D decoders, each with its own 1x1x1 output conv. Training uses both outputs
 * ({@link DualBranchUNet3D.applyBranches}, or the ForwardHeads stage); `apply` gives the inference output of
 * `outputMode`. PyMIC's decoders' optional multiscale predictions are not built.
 *
 * `apply` and `applyHeads` follow the SegmentationNetwork interfaces, which are typed for NHWC: pass NDHWC volumes cast
 * to Tensor4D (or call {@link DualBranchUNet3D.applyVolume} / applyBranches); the results are NDHWC logits.
 */
export class DualBranchUNet3D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'DualBranchUNet3D';
  readonly className = DualBranchUNet3D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet3DUpMode;
  readonly outputMode: DualBranchOutputMode;
  readonly headNames: readonly string[] = ['first', 'second'];
  private readonly encoder: ConvBlock[];
  private readonly decoders: Decoder[] = [];

  constructor(args: DualBranchUNet3DArgs) {
    super();
    const { features: f, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('dual_branch_unet3d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.outputMode = args.outputMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: f, dropout: rates, kernelSize: [3, 3, 3] });
      for (const branch of ['dec_a', 'dec_b']) {
        const ups = createDecoder(p, { prefix: branch, featureChannels: f, upMode: this.upMode, spatialDims: 3 });
        this.decoders.push({ ups, out: p.conv(`${branch}/out`, [1, 1, 1, f[0], this.classes], f[0]) });
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

  /** The logits of `outputMode` [N, D, H, W, classes]: the mean of both branches, or the first or second branch. */
  applyVolume(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D {
    return tf.tidy(() => {
      const [first, second] = this.branches(x, opts);
      if (this.outputMode === 'first') return first;
      if (this.outputMode === 'second') return second;
      return tf.div(tf.add(first, second), 2) as tf.Tensor5D;
    });
  }

  /** Both branches' logits (the same as applyBranches) for ForwardHeads; NDHWC volumes typed Tensor4D by the interface. */
  applyHeads(x: tf.Tensor5D, opts: NetworkApplyOptions): tf.Tensor5D[] {
    return this.applyBranches(x, opts);
  }

  /** Both branches' logits, for training. */
  applyBranches(x: tf.Tensor5D, opts: NetworkApplyOptions): [tf.Tensor5D, tf.Tensor5D] {
    return tf.tidy(() => this.branches(x, opts));
  }

  private branches(x: tf.Tensor5D, opts: NetworkApplyOptions): [tf.Tensor5D, tf.Tensor5D] {
    this.checkNotDisposed();
    this.checkVolumeInput(x, this.inChannels, this.sizeDivisor);
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

export const dualBranchUNet3DUnit: NetworkUnit<DualBranchUNet3DParams, DualBranchUNet3D> = {
  className: DualBranchUNet3D.className,
  spatialDims: 3,
  description: "PyMIC's 3D dual-branch U-Net: a shared encoder and two decoders on NDHWC volumes, output averaged or one branch",
  reference: 'Luo et al. Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed Pseudo Labels Supervision. MICCAI 2022',
  paramsSchema: dualBranchUNet3DParams,
  create: (name, params, random) => new DualBranchUNet3D({ ...params, name, random }),
};
