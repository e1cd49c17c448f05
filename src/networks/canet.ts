import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { dropoutMask } from '../runtime/ops/dropout.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { resizeLinear } from '../runtime/ops/resize-linear.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyConvBlock, type ConvBlock } from './blocks/conv-block.js';
import { applyBiasFreeConvolution, applyConvolution } from './blocks/convolution.js';
import { createEncoder } from './blocks/encoder.js';
import { applyUpSampling, createUpSampling } from './blocks/up-sampling.js';
import { applyBatchNorm, freeNetworkName, NetworkParameters, type BatchNormParameters, type ConvParameters } from './network-parameters.js';
import { classesParam, inChannelsParam } from './network-params.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

/** f, 2f, 4f, 8f, 16f: each transposed-conv up block concatenates two f[l] features into the f[l + 1] channels its SE block reads. */
const isDoubling = (f: readonly number[]) => f.every((c, l) => l === 0 || c === 2 * f[l - 1]);

export const canetParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: z
      .array(z.number().int().min(2))
      .length(5)
      .refine(isDoubling, {
        message:
          'CANet features must double at every level from at least 2, e.g. [8, 16, 32, 64, 128] (each up block concatenates the skip ' +
          'and the up-sampled feature, 2 x features[l], into the block that reads features[l + 1])',
      })
      .default([8, 16, 32, 64, 128])
      .describe(
        "Feature channels of the five levels from the finest, doubling at every level from at least 2; the default is PyMIC's feature_chns " +
          '[32, 64, 128, 256, 512] divided by its feature_scale 4, the only setting PyMIC runs CANet with',
      ),
    channelDropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0.5)
      .describe("Channel dropout (Dropout2d) probability in [0, 1) after the two deepest encoder blocks and the deepest decoder block (PyMIC's fixed Dropout2d(0.5))"),
  })
  .strict();
export type CANetParams = z.output<typeof canetParams>;
/** The schema's output and the instance's name and randomness. */
export type CANetArgs = CANetParams & NetworkInstanceArgs;

/** A 1x1 convolution without bias plus batch norm (PyMIC's SE_Conv_Block `downchannel`). */
interface BiasFreeConvBatchNorm {
  kernel: tf.Variable;
  bn: BatchNormParameters;
}

/** PyMIC's SE_Conv_Block: channel attention from average- and max-pooled features, a residual, and a third conv. */
interface ChannelAttentionBlock {
  conv1: tf.Variable; // [3, 3, in, p], no bias
  bn1: BatchNormParameters;
  conv2: tf.Variable; // [3, 3, p, 2p]
  bn2: BatchNormParameters;
  conv3: tf.Variable; // [3, 3, 2p, p]
  bn3: BatchNormParameters;
  fc1: ConvParameters; // dense [2p, round(p / 2)]
  fc2: ConvParameters; // dense [round(p / 2), 2p]
  downchannel: BiasFreeConvBatchNorm; // [1, 1, in, 2p]
}

/** PyMIC's GridAttentionBlock2D (concatenation mode, no sub-sampling): an additive attention gate with an output transform. */
interface GridAttentionGate {
  w: ConvParameters; // [1, 1, C, C]
  wBn: BatchNormParameters;
  theta: ConvParameters; // [1, 1, C, inter]
  phi: ConvParameters; // [1, 1, gating, inter]
  psi: ConvParameters; // [1, 1, inter, 1]
}

/** PyMIC's MultiAttentionBlock: two gates on the same inputs, combined by conv1x1 -> BN -> ReLU. */
interface SpatialAttentionBlock {
  gates: [GridAttentionGate, GridAttentionGate];
  combine: ConvParameters; // [1, 1, 2C, C]
  combineBn: BatchNormParameters;
}

/** PyMIC's NONLocalBlock2D, embedded Gaussian, sub-sampling 2 (Wang et al., "Non-local Neural Networks", CVPR 2018). */
interface NonLocalBlock {
  g: ConvParameters;
  theta: ConvParameters;
  phi: ConvParameters;
  w: ConvParameters;
  wBn: BatchNormParameters;
}

/** PyMIC's scale_atten_convblock: scale (channel) and spatial attention over the concatenated multi-scale features. */
interface ScaleAttentionBlock {
  conv3: tf.Variable; // [3, 3, 16, f0], no bias
  bn3: BatchNormParameters;
  fc1: ConvParameters; // dense [16, 4]
  fc2: ConvParameters; // dense [4, 16]
  spatialConv1: tf.Variable; // [3, 3, 16, 4], no bias
  spatialBn: BatchNormParameters;
  spatialConv2: tf.Variable; // [1, 1, 4, 4], no bias
}

/** The four decoder resolutions whose features the scale attention weighs, and the channels each is projected to. */
export const CANET_SCALES = 4;
export const CANET_CHANNELS_PER_SCALE = 4;

/**
 * PyMIC's CANet (pymic/net/net2d/unet2d_canet.py; R. Gu, G. Wang, T. Song et al., "CA-Net: Comprehensive Attention
 * Convolutional Neural Networks for Explainable Medical Image Segmentation", IEEE TMI 40(2), 2021), NHWC:
 * - encoder: five conv blocks (conv3x3 -> BN -> ReLU, twice) with 2x2 max pooling between them; channel dropout
 *   (Dropout2d) after the two deepest;
 * - decoder, per level from the coarsest: a 2x2 stride-2 transposed conv of the coarser feature concatenated after the
 *   skip; at the deepest level a non-local block (embedded Gaussian, keys and values max-pooled by 2) on that
 *   concatenation; a channel-attention block (SE_Conv_Block: conv3x3 -> BN -> ReLU -> conv3x3 (2p) -> BN, scaled by
 *   sigmoid(MLP(avg pool)) + sigmoid(MLP(max pool)) channel weights, plus a 1x1-conv + BN projection of its input,
 *   ReLU, conv3x3 (p) -> BN -> ReLU; channel dropout at the deepest level);
 * - spatial attention: at the two middle levels the skip is replaced by a MultiAttentionBlock of two additive grid
 *   attention gates (Oktay et al., MIDL 2018) driven by the decoder feature one level coarser, each followed by
 *   conv1x1 -> BN, combined by conv1x1 -> BN -> ReLU;
 * - scale attention: each of the four decoder outputs is projected to 4 channels by a 1x1 conv and resized to full
 *   resolution (bilinear, align_corners=False); the 16 channels are scaled per scale by sigmoid(mean over the scale's
 *   channels of MLP(avg pool) + MLP(max pool)), then per scale and pixel by 1 + sigmoid(ReLU(conv1x1(ReLU(BN(conv3x3)))))
 *   (16 -> 4 -> 4 maps), added to the input, ReLU, conv3x3 -> BN -> ReLU to f0 channels;
 * - a 1x1 conv to class logits.
 * Differences from PyMIC: all weights start as PyTorch's defaults (PyMIC draws its attention blocks' convs
 * kaiming-normal and their BN gammas from N(1, 0.02)); the scale-attention BN keeps PyTorch's default momentum 0.1
 * (PyMIC 0.01); channel dropout is applied in training only (PyMIC builds a fresh nn.Dropout2d in forward, so it also
 * drops at inference); PyMIC fixes the projection to f0 / 2 = 4 channels per scale, here 4 for every f0.
 * Height and width must be multiples of 16.
 */
export class CANet extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'CANet';
  readonly className = CANet.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  /** The channel dropout per encoder level: 0, 0, 0, p, p (the deepest decoder block uses p as well). */
  readonly dropoutRates: readonly number[];
  readonly channelDropout: number;
  private readonly encoder: ConvBlock[];
  /** Index 0 for the skip at level 1 (PyMIC's attentionblock2), 1 for level 2 (attentionblock3). */
  private readonly spatialAttention: SpatialAttentionBlock[] = [];
  private readonly nonLocal: NonLocalBlock;
  /** Coarse to fine: the up-sampling into level 3, 2, 1, 0 and that level's channel-attention block. */
  private readonly decoder: { up: ConvParameters; block: ChannelAttentionBlock }[] = [];
  /** Per decoder level, fine to coarse: the 1x1 projection to CANET_CHANNELS_PER_SCALE channels. */
  private readonly projections: ConvParameters[] = [];
  private readonly scaleAttention: ScaleAttentionBlock;
  private readonly out: ConvParameters;

  constructor(args: CANetArgs) {
    super();
    const { features: f, channelDropout: p } = args;
    this.name = args.name ?? freeNetworkName('canet');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.channelDropout = p;
    this.dropoutRates = [0, 0, 0, p, p];
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const params = this.parameters;
    try {
      // Created in the order of PyMIC's modules: conv1-4 and center, attentionblock2-3, nonlocal4_2, up_concat4-1,
      // up4-1, dsv1-4, scale_att, final.
      this.encoder = createEncoder(params, { inChannels: this.inChannels, featureChannels: f, dropout: [0, 0, 0, 0, 0], kernelSize: [3, 3], activation: 'relu' });
      for (const level of [1, 2]) this.spatialAttention.push(this.createSpatialAttention(`att${level}`, f[level], f[level + 1]));
      this.nonLocal = this.createNonLocal('nonlocal', f[4], Math.floor(f[4] / 4));
      const ups = [3, 2, 1, 0].map((level, k) => createUpSampling(params, `dec${k + 1}/up`, f[level + 1], f[level], 'transposed', 2));
      [3, 2, 1, 0].forEach((level, k) => this.decoder.push({ up: ups[k], block: this.createChannelAttention(`dec${k + 1}`, f[level + 1], f[level]) }));
      for (let level = 0; level < CANET_SCALES; level++) {
        this.projections.push(params.conv(`dsv${level}`, [1, 1, f[level], CANET_CHANNELS_PER_SCALE], f[level]));
      }
      this.scaleAttention = this.createScaleAttention('scale_att', f[0]);
      this.out = params.conv('out', [1, 1, f[0], this.classes], f[0]);
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
    const channelDropout = (h: tf.Tensor4D, label: string) => {
      if (!training || this.channelDropout === 0) return h;
      const [n, , , c] = h.shape;
      const mask = dropoutMask(n * c, this.channelDropout, (random as SeededRandom).derive(label, 'channel_dropout'));
      return tf.mul(h, tf.tensor(mask, [n, 1, 1, c], 'float32')) as tf.Tensor4D;
    };
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let h = x;
      this.encoder.forEach((block, level) => {
        if (level > 0) h = maxPool2x2(h);
        h = applyConvBlock(block, h, training, random);
        if (level >= 3) h = channelDropout(h, block.path);
        skips.push(h);
      });
      const decoded: tf.Tensor4D[] = [];
      this.decoder.forEach(({ up, block }, k) => {
        const level = 3 - k;
        const skip = level === 1 || level === 2 ? applySpatialAttention(this.spatialAttention[level - 1], skips[level], h, training) : skips[level];
        let joined = tf.concat([skip, applyUpSampling(up, h, 'transposed')], 3) as tf.Tensor4D;
        if (level === 3) joined = applyNonLocal(this.nonLocal, joined, training);
        h = applyChannelAttention(block, joined, training);
        if (level === 3) h = channelDropout(h, `dec${k + 1}`);
        decoded.unshift(h);
      });
      const [height, width] = [x.shape[1], x.shape[2]];
      const scales = this.projections.map((projection, level) => {
        const projected = applyConvolution(projection, decoded[level]);
        return level === 0 ? projected : resizeLinear(projected, [height, width]);
      });
      const attended = applyScaleAttention(this.scaleAttention, tf.concat(scales, 3) as tf.Tensor4D, training);
      return applyConvolution(this.out, attended);
    });
  }

  private createChannelAttention(path: string, inChannels: number, planes: number): ChannelAttentionBlock {
    const p = this.parameters;
    const hidden = roundHalfToEven(planes / 2);
    return {
      conv1: p.convKernel(`${path}/conv1`, [3, 3, inChannels, planes], 9 * inChannels),
      bn1: p.batchNorm(`${path}/bn1`, planes),
      conv2: p.convKernel(`${path}/conv2`, [3, 3, planes, 2 * planes], 9 * planes),
      bn2: p.batchNorm(`${path}/bn2`, 2 * planes),
      conv3: p.convKernel(`${path}/conv3`, [3, 3, 2 * planes, planes], 18 * planes),
      bn3: p.batchNorm(`${path}/bn3`, planes),
      fc1: p.conv(`${path}/fc1`, [2 * planes, hidden], 2 * planes),
      fc2: p.conv(`${path}/fc2`, [hidden, 2 * planes], hidden),
      downchannel: { kernel: p.convKernel(`${path}/downchannel`, [1, 1, inChannels, 2 * planes], inChannels), bn: p.batchNorm(`${path}/downchannel_bn`, 2 * planes) },
    };
  }

  private createSpatialAttention(path: string, channels: number, gatingChannels: number): SpatialAttentionBlock {
    const p = this.parameters;
    const gate = (g: string): GridAttentionGate => ({
      w: p.conv(`${g}/w`, [1, 1, channels, channels], channels),
      wBn: p.batchNorm(`${g}/w_bn`, channels),
      theta: p.conv(`${g}/theta`, [1, 1, channels, channels], channels),
      phi: p.conv(`${g}/phi`, [1, 1, gatingChannels, channels], gatingChannels),
      psi: p.conv(`${g}/psi`, [1, 1, channels, 1], channels),
    });
    return {
      gates: [gate(`${path}/gate1`), gate(`${path}/gate2`)],
      combine: p.conv(`${path}/combine`, [1, 1, 2 * channels, channels], 2 * channels),
      combineBn: p.batchNorm(`${path}/combine_bn`, channels),
    };
  }

  private createNonLocal(path: string, channels: number, inter: number): NonLocalBlock {
    const p = this.parameters;
    return {
      g: p.conv(`${path}/g`, [1, 1, channels, inter], channels),
      w: p.conv(`${path}/w`, [1, 1, inter, channels], inter),
      wBn: p.batchNorm(`${path}/w_bn`, channels),
      theta: p.conv(`${path}/theta`, [1, 1, channels, inter], channels),
      phi: p.conv(`${path}/phi`, [1, 1, channels, inter], channels),
    };
  }

  private createScaleAttention(path: string, outChannels: number): ScaleAttentionBlock {
    const p = this.parameters;
    const c = CANET_SCALES * CANET_CHANNELS_PER_SCALE;
    const hidden = Math.floor(c / 4);
    return {
      conv3: p.convKernel(`${path}/conv3`, [3, 3, c, outChannels], 9 * c),
      bn3: p.batchNorm(`${path}/bn3`, outChannels),
      fc1: p.conv(`${path}/fc1`, [c, hidden], c),
      fc2: p.conv(`${path}/fc2`, [hidden, c], hidden),
      spatialConv1: p.convKernel(`${path}/spatial_conv1`, [3, 3, c, CANET_SCALES], 9 * c),
      spatialBn: p.batchNorm(`${path}/spatial_bn`, CANET_SCALES),
      spatialConv2: p.convKernel(`${path}/spatial_conv2`, [1, 1, CANET_SCALES, CANET_SCALES], CANET_SCALES),
    };
  }
}

/** Python's round(): halves go to the even neighbour (PyMIC's round(planes / 2)). */
export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** x W + b for [N, in] x and a dense layer stored as ConvParameters with kernel [in, out]. */
function dense(layer: ConvParameters, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, layer.kernel as tf.Tensor2D), layer.bias) as tf.Tensor2D;
}

/** sigmoid(fc2(relu(fc1(mean_HW h)))) + sigmoid(fc2(relu(fc1(max_HW h)))) scaling h, plus the projected input (SE_Conv_Block). */
function applyChannelAttention(block: ChannelAttentionBlock, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const bnConv = (kernel: tf.Variable, bn: BatchNormParameters, h: tf.Tensor4D) => applyBatchNorm(bn, applyBiasFreeConvolution(kernel, h), training);
  const residual = bnConv(block.downchannel.kernel, block.downchannel.bn, x);
  const features = bnConv(block.conv2, block.bn2, tf.relu(bnConv(block.conv1, block.bn1, x)));
  const [n, , , c] = features.shape;
  const weights = (pooled: tf.Tensor) => tf.sigmoid(dense(block.fc2, tf.relu(dense(block.fc1, pooled as tf.Tensor2D))));
  const channelWeights = tf.add(weights(tf.mean(features, [1, 2])), weights(tf.max(features, [1, 2])));
  const attended = tf.relu(tf.add(tf.mul(features, tf.reshape(channelWeights, [n, 1, 1, c])), residual)) as tf.Tensor4D;
  return tf.relu(bnConv(block.conv3, block.bn3, attended));
}

/** Two grid attention gates on `skip` driven by the coarser `gating` feature, concatenated and combined (MultiAttentionBlock). */
function applySpatialAttention(block: SpatialAttentionBlock, skip: tf.Tensor4D, gating: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const [, height, width] = skip.shape;
  const gated = block.gates.map((gate) => {
    const f = tf.relu(tf.add(applyConvolution(gate.theta, skip), resizeLinear(applyConvolution(gate.phi, gating), [height, width]))) as tf.Tensor4D;
    const attention = tf.sigmoid(applyConvolution(gate.psi, f));
    return applyBatchNorm(gate.wBn, applyConvolution(gate.w, tf.mul(attention, skip) as tf.Tensor4D), training);
  });
  return tf.relu(applyBatchNorm(block.combineBn, applyConvolution(block.combine, tf.concat(gated, 3) as tf.Tensor4D), training));
}

/** z = BN(W y) + x with y_i = sum_j softmax_j(theta(x_i) . phi(x)_j) g(x)_j over the 2x2-max-pooled positions j. */
function applyNonLocal(block: NonLocalBlock, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const inter = (block.g.kernel as tf.Tensor4D).shape[3];
  const pooledPositions = (h / 2) * (w / 2);
  const values = tf.reshape(maxPool2x2(applyConvolution(block.g, x)), [n, pooledPositions, inter]);
  const queries = tf.reshape(applyConvolution(block.theta, x), [n, h * w, inter]);
  const keys = tf.transpose(tf.reshape(maxPool2x2(applyConvolution(block.phi, x)), [n, pooledPositions, inter]), [0, 2, 1]);
  const affinity = tf.softmax(tf.matMul(queries, keys)); // [N, HW, HW/4], softmax over the last axis
  const y = tf.reshape(tf.matMul(affinity, values), [n, h, w, inter]) as tf.Tensor4D;
  return tf.add(applyBatchNorm(block.wBn, applyConvolution(block.w, y), training), x) as tf.Tensor4D;
}

/** Scale then spatial attention over the CANET_SCALES x CANET_CHANNELS_PER_SCALE channels, a residual and conv3x3 -> BN -> ReLU. */
function applyScaleAttention(block: ScaleAttentionBlock, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const mlp = (pooled: tf.Tensor) => dense(block.fc2, tf.relu(dense(block.fc1, pooled as tf.Tensor2D)));
  const raw = tf.add(mlp(tf.mean(x, [1, 2])), mlp(tf.max(x, [1, 2]))); // [N, 16]
  const perScale = tf.sigmoid(tf.mean(tf.reshape(raw, [n, CANET_SCALES, CANET_CHANNELS_PER_SCALE]), 2, true)); // [N, 4, 1]
  const scaleWeights = tf.reshape(tf.tile(perScale, [1, 1, CANET_CHANNELS_PER_SCALE]), [n, 1, 1, c]);
  const scaled = tf.mul(x, scaleWeights) as tf.Tensor4D;
  const maps = tf.relu(applyBatchNorm(block.spatialBn, applyBiasFreeConvolution(block.spatialConv1, scaled), training));
  const spatial = tf.sigmoid(tf.relu(applyBiasFreeConvolution(block.spatialConv2, maps)));
  // Each scale's map weighs its channels: channel s * CANET_CHANNELS_PER_SCALE + j reads map s (tfjs's tile has no rank-5 gradient).
  const spatialWeights = tf.reshape(tf.tile(tf.reshape(spatial, [n * h * w, CANET_SCALES, 1]), [1, 1, CANET_CHANNELS_PER_SCALE]), [n, h, w, c]);
  const attended = tf.add(tf.mul(scaled, spatialWeights), scaled);
  const summed = tf.relu(tf.add(attended, x)) as tf.Tensor4D;
  return tf.relu(applyBatchNorm(block.bn3, applyBiasFreeConvolution(block.conv3, summed), training));
}

export const canetUnit: NetworkUnit<CANetParams, CANet> = {
  className: CANet.className,
  spatialDims: 2,
  description:
    "PyMIC's CA-Net: U-Net with a non-local block, attention-gated skips (spatial), SE channel attention in the decoder and scale attention over the decoder's multi-scale outputs",
  reference: 'Gu, Wang, Song et al. CA-Net: Comprehensive Attention Convolutional Neural Networks for Explainable Medical Image Segmentation. IEEE TMI 40(2), 2021',
  paramsSchema: canetParams,
  create: (name, params, random) => new CANet({ ...params, name, random }),
};
