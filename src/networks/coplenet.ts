import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyAspp, createAspp, type Aspp } from './blocks/aspp.js';
import { applyConvBlock, createConvBlock, LEAKY_RELU_SLOPE, type ConvBlock, type ConvBlockSpec } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyUpSampling, createUpSampling } from './blocks/up-sampling.js';
import { classesParam, dropoutPerLevelParam, inChannelsParam } from './network-params.js';
import { applyBatchNorm, freeNetworkName, NetworkParameters, type BatchNormParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

/** Channel counts f, 2f, 4f, 8f, 16f with f even: the down blocks' residuals and the halved bridges need them. */
const isEvenDoubling = (f: readonly number[]) => f.every((c, l) => (l === 0 ? c % 2 === 0 : c === 2 * f[l - 1]));

export const coplenetParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: z
      .array(z.number().int().min(2))
      .length(5)
      .refine(isEvenDoubling, {
        message:
          'COPLENet features must be an even count doubling at every level, e.g. [16, 32, 64, 128, 256] (each down block adds its input, ' +
          'the concatenated max- and average-pooled previous level, to its output; the bridges halve the channels)',
      })
      .default([16, 32, 64, 128, 256])
      .describe('Feature channels of the five levels from the finest: an even count doubling at every level (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) per level, used by that level's encoder block and by the decoder block at its resolution (PyMIC dropout)"),
    upMode: z
      .enum(['bilinear', 'nearest', 'transposed'])
      .default('bilinear')
      .describe('Decoder up-sampling: a 1x1 conv then bilinear (align_corners=True) or nearest x2, or a 2x2 stride-2 transposed conv (PyMIC up_mode / bilinear)'),
  })
  .strict();
export type COPLENetParams = z.output<typeof coplenetParams>;
export type COPLENetUpMode = COPLENetParams['upMode'];
/** The schema's output and the instance's name and randomness. */
export type COPLENetArgs = COPLENetParams & NetworkInstanceArgs;

/** COPLENet's squeeze-and-excitation: 1x1 convs (dense layers on the pooled feature) C -> C/2 -> C. */
interface SqueezeExcitation {
  squeeze: ConvParameters; // [C, C/2]
  excite: ConvParameters; // [C/2, C]
}

/** PyMIC's ConvBNActBlock: a ConvBlock followed by its squeeze-and-excitation. */
interface SEConvBlock extends ConvBlock {
  se: SqueezeExcitation;
}

/** PyMIC's ConvLayer on a skip connection: 1x1 conv halving the channels -> BN -> LeakyReLU. */
interface Bridge {
  conv: ConvParameters;
  bn: BatchNormParameters;
}

/** One decoder level: upsampling of the coarser feature to half this level's channels, then an SE conv block. */
interface COPLEUpBlock {
  up: ConvParameters;
  block: SEConvBlock;
}

/** Dilations of COPLENet's four ASPP branches (1x1, then three 3x3 convs). */
export const COPLENET_ASPP_DILATIONS = [1, 2, 4, 6] as const;

/**
 * PyMIC's COPLENet (pymic/net/net2d/cople_net.py; G. Wang, X. Liu, C. Li et al., "A Noise-Robust Framework for
 * Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images", IEEE TMI 39(8), 2020), NHWC:
 * - SE conv block (ConvBNActBlock): conv3x3 -> BN -> LeakyReLU -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU, then a
 *   squeeze-and-excitation y = x f + x with f = ReLU(W2 LeakyReLU(W1 mean_HW(x))) and a C/2 bottleneck (Hu et al.,
 *   "Squeeze-and-Excitation Networks", CVPR 2018, with ReLU instead of the sigmoid and a residual);
 * - encoder: an SE conv block, then four down blocks: x_cat = concat[maxpool2x2(x), avgpool2x2(x)], y = block(x_cat)
 *   + x_cat (so features double at each level);
 * - bridges: each of the four finer encoder outputs passes a 1x1 conv to half its channels -> BN -> LeakyReLU;
 * - bottleneck: an ASPP block on the deepest feature (branches 1x1, and 3x3 with dilations 2, 4, 6, each to a quarter
 *   of the channels; concat; 1x1 conv -> BN -> LeakyReLU; Chen et al., IEEE TPAMI 2018);
 * - decoder: four up blocks: upsample the coarser feature to half this level's channels (1x1 conv then bilinear x2 by
 *   default), x_cat = concat[bridge, upsampled], y = block(x_cat) + x_cat, with this level's dropout;
 * - a 3x3 conv to class logits.
 * Height and width must be multiples of 16. Weights start as PyTorch's defaults, drawn from SeededRandom.
 */
export class COPLENet extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'COPLENet';
  readonly className = COPLENet.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: COPLENetUpMode;
  private readonly encoder: SEConvBlock[] = [];
  private readonly bridges: Bridge[] = [];
  private readonly decoder: COPLEUpBlock[] = [];
  private readonly aspp: Aspp;
  private readonly out: ConvParameters;

  constructor(args: COPLENetArgs) {
    super();
    const { features: f, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('coplenet');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    const half = f.map((c) => c / 2);
    try {
      // Created in the order of PyMIC's modules: in_conv, down1-4, bridge0-3, up1-4, aspp, out_conv.
      for (let level = 0; level < 5; level++) {
        const inChannels = level === 0 ? this.inChannels : 2 * f[level - 1];
        this.encoder.push(this.seConvBlock({ path: `enc${level}`, inChannels, outChannels: f[level], kernelSize: [3, 3], dropout: rates[level] }));
      }
      for (let level = 0; level < 4; level++) {
        this.bridges.push({ conv: p.conv(`bridge${level}/conv`, [1, 1, f[level], half[level]], f[level]), bn: p.batchNorm(`bridge${level}/bn`, half[level]) });
      }
      for (let level = 3, k = 1; level >= 0; level--, k++) {
        this.decoder.push({
          up: createUpSampling(p, `dec${k}/up`, f[level + 1], half[level], this.upMode, 2),
          block: this.seConvBlock({ path: `dec${k}`, inChannels: 2 * half[level], outChannels: f[level], kernelSize: [3, 3], dropout: rates[level] }),
        });
      }
      const quarter = f[4] / 4;
      this.aspp = createAspp(p, {
        path: 'aspp',
        inChannels: f[4],
        branches: COPLENET_ASPP_DILATIONS.map((dilation) => ({ outChannels: quarter, kernelSize: dilation === 1 ? 1 : 3, dilation })),
      });
      this.out = p.conv('out', [3, 3, f[0], this.classes], 9 * f[0]);
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
    const block = (b: SEConvBlock, h: tf.Tensor4D) => applySqueezeExcitation(b.se, applyConvBlock(b, h, training, random));
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let h = x;
      this.encoder.forEach((b, level) => {
        if (level === 0) {
          h = block(b, h);
        } else {
          const pooled = tf.concat([maxPool2x2(h), averagePoolBlocks(h, [2, 2])], 3) as tf.Tensor4D;
          h = tf.add(block(b, pooled), pooled);
        }
        if (level < 4) skips.push(applyBridge(this.bridges[level], h, training));
      });
      h = applyAspp(this.aspp, h, training);
      this.decoder.forEach(({ up, block: b }, k) => {
        const joined = tf.concat([skips[3 - k], applyUpSampling(up, h, this.upMode)], 3) as tf.Tensor4D;
        h = tf.add(block(b, joined), joined);
      });
      return applyConvolution(this.out, h);
    });
  }

  /** A ConvBlock, then its squeeze-and-excitation's variables `${path}/se/squeeze` and `${path}/se/excite`. */
  private seConvBlock(spec: ConvBlockSpec): SEConvBlock {
    const p = this.parameters;
    const c = spec.outChannels;
    const reduced = Math.floor(c / 2);
    const block = createConvBlock(p, spec);
    return { ...block, se: { squeeze: p.conv(`${spec.path}/se/squeeze`, [c, reduced], c), excite: p.conv(`${spec.path}/se/excite`, [reduced, c], reduced) } };
  }
}

/** x f + x with f = ReLU(W2 LeakyReLU(W1 mean_HW(x))) per image and channel (PyMIC's SEBlock). */
function applySqueezeExcitation(se: SqueezeExcitation, x: tf.Tensor4D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const hidden = tf.leakyRelu(tf.add(tf.matMul(pooled, se.squeeze.kernel as tf.Tensor2D), se.squeeze.bias), LEAKY_RELU_SLOPE) as tf.Tensor2D;
  const gate = tf.relu(tf.add(tf.matMul(hidden, se.excite.kernel as tf.Tensor2D), se.excite.bias));
  return tf.mul(x, tf.add(tf.reshape(gate, [n, 1, 1, c]), 1)) as tf.Tensor4D;
}

/** conv1x1 -> BN -> LeakyReLU (PyMIC's ConvLayer). */
function applyBridge(bridge: Bridge, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  return tf.leakyRelu(applyBatchNorm(bridge.bn, applyConvolution(bridge.conv, x), training), LEAKY_RELU_SLOPE);
}

export const coplenetUnit: NetworkUnit<COPLENetParams, COPLENet> = {
  className: COPLENet.className,
  spatialDims: 2,
  description:
    "PyMIC's COPLENet: U-Net with squeeze-and-excitation conv blocks, residual max+average-pooling down blocks, 1x1 bridges on the skips and an ASPP bottleneck",
  reference: 'Wang, Liu, Li et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 39(8), 2020',
  paramsSchema: coplenetParams,
  create: (name, params, random) => new COPLENet({ ...params, name, random }),
};
