import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { resizeLinear } from '../runtime/ops/resize-linear.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyConvBlock, createConvBlock, type ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { applyUpSampling, createUpSampling } from './blocks/up-sampling.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export const attentionUNet2DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest, each >= 2: the attention gate halves the smaller of two (PyMIC feature_chns)', 2),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block; decoder blocks use none (PyMIC dropout)"),
    upMode: z
      .enum(['bilinear', 'nearest', 'transposed'])
      .default('bilinear')
      .describe("Decoder up-sampling: a 1x1 conv then bilinear or nearest x2, or a 2x2 stride-2 transposed conv (PyMIC's AttentionUNet2D always builds bilinear up blocks)"),
  })
  .strict();
export type AttentionUNet2DParams = z.output<typeof attentionUNet2DParams>;
/** The schema's output and the instance's name and randomness. */
export type AttentionUNet2DArgs = AttentionUNet2DParams & NetworkInstanceArgs;

/** Additive attention gate: 1x1 convs of the skip (low level) and gating (high level) features, and to one channel. */
interface AttentionGate {
  skip: ConvParameters;
  gating: ConvParameters;
  attention: ConvParameters;
}

/**
 * PyMIC's AttentionUNet2D (pymic/net/net2d/unet2d_attention.py; O. Oktay, J. Schlemper et al., "Attention U-Net:
 * Learning Where to Look for the Pancreas", MIDL 2018, with PyMIC's batch norm, LeakyReLU and dropout), NHWC: the 2D
 * U-Net of UNet2D whose skip features pass an attention gate before the concatenation in every up block:
 *   x_l' = x_l resized to the gating feature's (half) size (bilinear, align_corners=False = 2x2 average),
 *   a = sigmoid(conv1x1(relu(conv1x1(x_l') + conv1x1(x_h)))) with min(C_l, C_h) / 2 hidden channels,
 *   gated skip = resize(a to x_l's size, bilinear, align_corners=False) * x_l.
 * Output: a 1x1 conv to class logits.
 */
export class AttentionUNet2D extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'AttentionUNet2D';
  readonly className = AttentionUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: 'bilinear' | 'nearest' | 'transposed';
  private readonly encoder: ConvBlock[];
  private readonly decoder: { up: ConvParameters; gate: AttentionGate; block: ConvBlock }[] = [];
  private readonly out: ConvParameters;

  constructor(args: AttentionUNet2DArgs) {
    super();
    const { features, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('attention_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      this.encoder = createEncoder(p, { inChannels: this.inChannels, featureChannels: features, dropout: rates, kernelSize: [3, 3] });
      for (let level = 3, k = 1; level >= 0; level--, k++) {
        const high = features[level + 1];
        const low = features[level];
        const hidden = Math.floor(Math.min(low, high) / 2);
        const up = createUpSampling(p, `dec${k}/up`, high, low, this.upMode, 2);
        const gate = {
          skip: p.conv(`dec${k}/gate/skip`, [1, 1, low, hidden], low),
          gating: p.conv(`dec${k}/gate/gating`, [1, 1, high, hidden], high),
          attention: p.conv(`dec${k}/gate/attention`, [1, 1, hidden, 1], hidden),
        };
        this.decoder.push({ up, gate, block: createConvBlock(p, { path: `dec${k}`, inChannels: 2 * low, outChannels: low, kernelSize: [3, 3], dropout: 0 }) });
      }
      this.out = p.conv('out', [1, 1, features[0], this.classes], features[0]);
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
      const skips = applyEncoder(this.encoder, x, { training, random });
      let h = skips[4];
      this.decoder.forEach(({ up, gate, block }, k) => {
        const gatedSkip = applyAttentionGate(gate, skips[3 - k], h);
        h = applyConvBlock(block, tf.concat([gatedSkip, applyUpSampling(up, h, this.upMode)], 3), training, random);
      });
      return applyConvolution(this.out, h);
    });
  }

}

/** The attention-gated skip feature (Oktay et al., MIDL 2018): x_low scaled per pixel by the gate's attention map. */
function applyAttentionGate(gate: AttentionGate, low: tf.Tensor4D, high: tf.Tensor4D): tf.Tensor4D {
  const conv = (x: tf.Tensor4D, c: ConvParameters) => applyConvolution(c, x);
  const lowAtGateSize = averagePoolBlocks(low, [low.shape[1] / high.shape[1], low.shape[2] / high.shape[2]]);
  const features = tf.relu(tf.add(conv(lowAtGateSize, gate.skip), conv(high, gate.gating))) as tf.Tensor4D;
  const attention = tf.sigmoid(conv(features, gate.attention)) as tf.Tensor4D;
  return tf.mul(resizeLinear(attention, [low.shape[1], low.shape[2]]), low) as tf.Tensor4D;
}

export const attentionUNet2DUnit: NetworkUnit<AttentionUNet2DParams, AttentionUNet2D> = {
  className: AttentionUNet2D.className,
  spatialDims: 2,
  description: "PyMIC's 2D attention U-Net: skip features scaled by additive attention gates driven by the coarser decoder level",
  reference: 'Oktay, Schlemper et al. Attention U-Net: Learning Where to Look for the Pancreas. MIDL 2018',
  paramsSchema: attentionUNet2DParams,
  create: (name, params, random) => new AttentionUNet2D({ ...params, name, random }),
};
