import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { conv2dSame } from '../runtime/ops/conv2d-same.js';
import { dropout } from '../runtime/ops/dropout.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { resizeLinear } from '../runtime/ops/resize-linear.js';
import { transposedConv2x2 } from '../runtime/ops/transposed-conv-2x2.js';
import { upsample2x } from '../runtime/ops/upsample-2x.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyBatchNorm, freeNetworkName, NetworkParameters, type BatchNormParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export interface AttentionUNet2DArgs {
  name?: string;
  inChannels: number;
  classes: number;
  /** Five channel counts, each >= 2 (the gate halves the smaller of two). Default [16, 32, 64, 128, 256]. */
  featureChannels?: readonly number[];
  /** Dropout per encoder level. Default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout?: readonly number[];
  /** Default 'bilinear' (PyMIC's AttentionUNet2D always builds bilinear up blocks). */
  upMode?: 'bilinear' | 'nearest' | 'transposed';
  random?: SeededRandom;
}

const LEAKY_RELU_SLOPE = 0.01;

interface ConvBlock {
  path: string;
  conv1: ConvParameters;
  bn1: BatchNormParameters;
  conv2: ConvParameters;
  bn2: BatchNormParameters;
  dropout: number;
}

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
export class AttentionUNet2D implements SegmentationNetwork {
  static className = 'AttentionUNet2D';
  readonly className = AttentionUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly featureChannels: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: 'bilinear' | 'nearest' | 'transposed';
  private readonly parameters: NetworkParameters;
  private readonly encoder: ConvBlock[] = [];
  private readonly decoder: { up: ConvParameters; gate: AttentionGate; block: ConvBlock }[] = [];
  private readonly out: ConvParameters;
  private disposed = false;

  constructor(args: AttentionUNet2DArgs) {
    const features = [...(args.featureChannels ?? [16, 32, 64, 128, 256])];
    const rates = [...(args.dropout ?? [0.05, 0.1, 0.2, 0.3, 0.5])];
    if (features.length !== 5 || rates.length !== 5) {
      throw new MicflowError('invalid-argument', `AttentionUNet2D needs 5 feature channel counts and dropout rates, got ${features.length} and ${rates.length}`);
    }
    if (features.some((f) => !Number.isInteger(f) || f < 2)) {
      throw new MicflowError('invalid-argument', `AttentionUNet2D feature channels must be integers >= 2 (the gate halves them), got [${features}]`);
    }
    for (const [label, value] of [['inChannels', args.inChannels], ['classes', args.classes]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new MicflowError('invalid-argument', `AttentionUNet2D ${label} must be a positive integer, got ${value}`);
    }
    if (rates.some((p) => !(p >= 0 && p < 1))) throw new MicflowError('invalid-argument', `AttentionUNet2D dropout rates must be in [0, 1), got [${rates}]`);
    this.name = args.name ?? freeNetworkName('attention_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.featureChannels = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode ?? 'bilinear';
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    const p = this.parameters;
    try {
      for (let level = 0; level < 5; level++) {
        this.encoder.push(this.convBlock(`enc${level}`, level === 0 ? this.inChannels : features[level - 1], features[level], rates[level]));
      }
      for (let level = 3, k = 1; level >= 0; level--, k++) {
        const high = features[level + 1];
        const low = features[level];
        const hidden = Math.floor(Math.min(low, high) / 2);
        const up = this.upMode === 'transposed' ? p.conv(`dec${k}/up`, [2, 2, low, high], low * 4, low) : p.conv(`dec${k}/up`, [1, 1, high, low], high);
        const gate = {
          skip: p.conv(`dec${k}/gate/skip`, [1, 1, low, hidden], low),
          gating: p.conv(`dec${k}/gate/gating`, [1, 1, high, hidden], high),
          attention: p.conv(`dec${k}/gate/attention`, [1, 1, hidden, 1], hidden),
        };
        this.decoder.push({ up, gate, block: this.convBlock(`dec${k}`, 2 * low, low, 0) });
      }
      this.out = p.conv('out', [1, 1, features[0], this.classes], features[0]);
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  get trainableVariables(): readonly tf.Variable[] {
    return this.parameters.trainableVariables;
  }

  get stateVariables(): readonly tf.Variable[] {
    return this.parameters.stateVariables;
  }

  parameterCount(): number {
    return this.parameters.count();
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    if (this.disposed) throw new MicflowError('invalid-argument', `AttentionUNet2D ${this.name} was disposed`);
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new MicflowError('invalid-shape', `AttentionUNet2D ${this.name} needs NHWC input with ${this.inChannels} channel(s), got shape [${x.shape}]`);
    }
    if (x.shape[1] % 16 !== 0 || x.shape[2] % 16 !== 0) {
      throw new MicflowError('invalid-shape', `AttentionUNet2D ${this.name} input is ${x.shape[1]}x${x.shape[2]}; height and width must be divisible by 16`);
    }
    const { training, random } = opts;
    if (training && random === undefined && this.dropoutRates.some((p) => p > 0)) {
      throw new MicflowError('invalid-argument', `AttentionUNet2D ${this.name}: training with dropout needs opts.random`);
    }
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let h = x;
      this.encoder.forEach((block, level) => {
        if (level > 0) h = maxPool2x2(h);
        h = this.applyConvBlock(block, h, training, random);
        skips.push(h);
      });
      this.decoder.forEach(({ up, gate, block }, k) => {
        const gatedSkip = applyAttentionGate(gate, skips[3 - k], h);
        const upsampled =
          this.upMode === 'transposed'
            ? transposedConv2x2(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D)
            : upsample2x(conv2dSame(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D), this.upMode);
        h = this.applyConvBlock(block, tf.concat([gatedSkip, upsampled], 3), training, random);
      });
      return conv2dSame(h, this.out.kernel as tf.Tensor4D, this.out.bias as tf.Tensor1D);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.parameters.dispose();
  }

  private applyConvBlock(block: ConvBlock, x: tf.Tensor4D, training: boolean, random: SeededRandom | undefined): tf.Tensor4D {
    let h = applyBatchNorm(block.bn1, conv2dSame(x, block.conv1.kernel as tf.Tensor4D, block.conv1.bias as tf.Tensor1D), training);
    h = tf.leakyRelu(h, LEAKY_RELU_SLOPE);
    if (training && block.dropout > 0) h = dropout(h, block.dropout, (random as SeededRandom).derive(block.path, 'dropout'));
    h = applyBatchNorm(block.bn2, conv2dSame(h, block.conv2.kernel as tf.Tensor4D, block.conv2.bias as tf.Tensor1D), training);
    return tf.leakyRelu(h, LEAKY_RELU_SLOPE);
  }

  private convBlock(path: string, cin: number, cout: number, p: number): ConvBlock {
    const params = this.parameters;
    return {
      path,
      conv1: params.conv(`${path}/conv1`, [3, 3, cin, cout], 9 * cin),
      bn1: params.batchNorm(`${path}/bn1`, cout),
      conv2: params.conv(`${path}/conv2`, [3, 3, cout, cout], 9 * cout),
      bn2: params.batchNorm(`${path}/bn2`, cout),
      dropout: p,
    };
  }
}

/** The attention-gated skip feature (Oktay et al., MIDL 2018): x_low scaled per pixel by the gate's attention map. */
function applyAttentionGate(gate: AttentionGate, low: tf.Tensor4D, high: tf.Tensor4D): tf.Tensor4D {
  const conv = (x: tf.Tensor4D, c: ConvParameters) => conv2dSame(x, c.kernel as tf.Tensor4D, c.bias as tf.Tensor1D);
  const lowAtGateSize = averagePoolBlocks(low, [low.shape[1] / high.shape[1], low.shape[2] / high.shape[2]]);
  const features = tf.relu(tf.add(conv(lowAtGateSize, gate.skip), conv(high, gate.gating))) as tf.Tensor4D;
  const attention = tf.sigmoid(conv(features, gate.attention)) as tf.Tensor4D;
  return tf.mul(resizeLinear(attention, [low.shape[1], low.shape[2]]), low) as tf.Tensor4D;
}
