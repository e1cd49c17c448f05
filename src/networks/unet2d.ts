import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { batchNormInference, batchNormTraining, updatedRunningStatistics } from '../runtime/ops/batch-norm.js';
import { conv2dSame } from '../runtime/ops/conv2d-same.js';
import { dropout } from '../runtime/ops/dropout.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { transposedConv2x2 } from '../runtime/ops/transposed-conv-2x2.js';
import { upsample2x } from '../runtime/ops/upsample-2x.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export type UNet2DUpMode = 'bilinear' | 'nearest' | 'transposed';

export interface UNet2DArgs {
  /** Prefix of every variable name; must be unique among live networks. Default 'unet2d', 'unet2d_1', ... */
  name?: string;
  inChannels: number;
  classes: number;
  /** Channels per level, 5 levels as PyMIC (or 4 for a smaller net). Default [16, 32, 64, 128, 256]. */
  featureChannels?: readonly number[];
  /** Dropout probability per encoder level (decoder blocks use none, as PyMIC). Default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout?: readonly number[];
  /** Decoder upsampling: 1x1 conv then bilinear / nearest x2, or a 2x2 stride-2 transposed conv. Default 'bilinear'. */
  upMode?: UNet2DUpMode;
  /** Randomness for weight initialisation; each variable draws from `random.derive(its path)`. Default seed 0. */
  random?: SeededRandom;
  /** Add PyMIC's deep-supervision heads: 1x1 convs to class logits on the three coarser decoder levels. */
  deepSupervision?: boolean;
}

export const UNET2D_DEFAULT_FEATURES = [16, 32, 64, 128, 256] as const;
export const UNET2D_DEFAULT_DROPOUT = [0.05, 0.1, 0.2, 0.3, 0.5] as const;
const LEAKY_RELU_SLOPE = 0.01;
const BATCH_NORM_MOMENTUM = 0.1;

interface Conv {
  kernel: tf.Variable;
  bias: tf.Variable;
}

interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVariance: tf.Variable;
}

interface ConvBlock {
  path: string;
  conv1: Conv;
  bn1: BatchNorm;
  conv2: Conv;
  bn2: BatchNorm;
  dropout: number;
}

interface UpBlock {
  /** 1x1 conv (bilinear / nearest) with a [1, 1, in1, in2] kernel, or transposed conv with a [2, 2, in2, in1] kernel. */
  up: Conv;
  block: ConvBlock;
}

const usedNames = new Set<string>();
function uniqueName(base: string): string {
  let name = base;
  for (let i = 1; usedNames.has(name) || tf.engine().registeredVariables[`${name}/out/kernel`]; i++) name = `${base}_${i}`;
  return name;
}

/**
 * PyMIC's UNet2D (pymic/net/net2d/unet2d.py; Ronneberger et al., MICCAI 2015, with batch norm, LeakyReLU and
 * dropout), NHWC:
 * - ConvBlock: conv3x3 -> BN -> LeakyReLU(0.01) -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU(0.01);
 * - encoder: ConvBlock, then (levels - 1) DownBlocks (2x2 max pool, ConvBlock);
 * - decoder: (levels - 1) UpBlocks (conv1x1 + x2 upsampling, or a 2x2 stride-2 transposed conv; concat [skip, up];
 *   ConvBlock without dropout);
 * - a 1x1 conv to class logits, and with `deepSupervision` one more on each of the three coarser decoder outputs
 *   (see applyMultiscale).
 * Weights start as PyTorch's defaults (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for conv weights and biases; BN gamma 1,
 * beta 0, running mean 0, variance 1), drawn from SeededRandom so a seed gives the same weights on every backend.
 */
export class UNet2D implements SegmentationNetwork {
  static className = 'UNet2D';
  readonly className = UNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly featureChannels: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: UNet2DUpMode;
  readonly trainableVariables: tf.Variable[] = [];
  readonly stateVariables: tf.Variable[] = [];
  private readonly encoder: ConvBlock[] = [];
  private readonly decoder: UpBlock[] = [];
  private readonly out: Conv;
  private readonly deepHeads: Conv[] = [];
  private readonly random: SeededRandom;
  private disposed = false;

  constructor(args: UNet2DArgs) {
    const features = [...(args.featureChannels ?? UNET2D_DEFAULT_FEATURES)];
    const rates = [...(args.dropout ?? UNET2D_DEFAULT_DROPOUT.slice(0, features.length))];
    if (features.length !== 4 && features.length !== 5) {
      throw new MicflowError('invalid-argument', `UNet2D needs 4 or 5 feature channel counts, got ${features.length}`);
    }
    if (rates.length !== features.length) {
      throw new MicflowError('invalid-argument', `UNet2D needs one dropout rate per level (${features.length}), got ${rates.length}`);
    }
    for (const [label, value] of [['inChannels', args.inChannels], ['classes', args.classes], ...features.map((f) => ['featureChannels', f] as const)] as const) {
      if (!Number.isInteger(value) || value < 1) throw new MicflowError('invalid-argument', `UNet2D ${label} must be a positive integer, got ${value}`);
    }
    for (const p of rates) {
      if (!(p >= 0 && p < 1)) throw new MicflowError('invalid-argument', `UNet2D dropout rates must be in [0, 1), got ${p}`);
    }
    this.name = args.name ?? uniqueName('unet2d');
    usedNames.add(this.name);
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.featureChannels = features;
    this.dropoutRates = rates;
    this.upMode = args.upMode ?? 'bilinear';
    this.random = args.random ?? new SeededRandom(0);

    try {
      this.encoder.push(this.convBlock('enc0', this.inChannels, features[0], rates[0]));
      for (let level = 1; level < features.length; level++) {
        this.encoder.push(this.convBlock(`enc${level}`, features[level - 1], features[level], rates[level]));
      }
      for (let level = features.length - 1, k = 1; level >= 1; level--, k++) {
        const in1 = features[level];
        const in2 = features[level - 1];
        const up =
          this.upMode === 'transposed'
            ? // PyTorch's fan_in for ConvTranspose2d's [in1, in2, 2, 2] weight is in2 * 2 * 2.
              this.conv(`dec${k}/up`, [2, 2, in2, in1], in2 * 4, in2)
            : this.conv(`dec${k}/up`, [1, 1, in1, in2], in1);
        this.decoder.push({ up, block: this.convBlock(`dec${k}`, 2 * in2, in2, 0) });
      }
      this.out = this.conv('out', [1, 1, features[0], this.classes], features[0]);
      if (args.deepSupervision) {
        // PyMIC's out_conv1..3 read the decoder outputs with features[1], features[2], features[3] channels.
        for (let level = 1; level <= 3; level++) this.deepHeads.push(this.conv(`deep${level}`, [1, 1, features[level], this.classes], features[level]));
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  parameterCount(): number {
    return this.trainableVariables.reduce((sum, v) => sum + v.size, 0);
  }

  /** Height and width must be multiples of this. */
  get sizeDivisor(): number {
    return 2 ** (this.featureChannels.length - 1);
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return tf.tidy(() => this.forward(x, opts, false)[0]);
  }

  /**
   * The full-resolution logits followed, when built with `deepSupervision`, by the logits of the three coarser decoder
   * levels at their own resolution (1/2, 1/4, 1/8; with 4 levels the coarsest reads the bottleneck, as PyMIC's
   * x_d3 = x3), for deep supervision (DeepSupervisionLoss). Without deep supervision, just the first.
   */
  applyMultiscale(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    return tf.tidy(() => this.forward(x, opts, true));
  }

  private forward(x: tf.Tensor4D, opts: NetworkApplyOptions, multiscale: boolean): tf.Tensor4D[] {
    if (this.disposed) throw new MicflowError('invalid-argument', `UNet2D ${this.name} was disposed`);
    this.checkInput(x);
    const { training, random } = opts;
    if (training && random === undefined && this.dropoutRates.some((p) => p > 0)) {
      throw new MicflowError('invalid-argument', `UNet2D ${this.name}: training with dropout needs opts.random`);
    }
    const skips: tf.Tensor4D[] = [];
    let h = x;
    this.encoder.forEach((block, level) => {
      if (level > 0) h = maxPool2x2(h);
      h = this.applyConvBlock(block, h, training, random);
      skips.push(h);
    });
    const decoded: tf.Tensor4D[] = [];
    this.decoder.forEach(({ up, block }, k) => {
      const skip = skips[skips.length - 2 - k];
      const upsampled =
        this.upMode === 'transposed'
          ? transposedConv2x2(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D)
          : upsample2x(conv2dSame(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D), this.upMode);
      h = this.applyConvBlock(block, tf.concat([skip, upsampled], 3), training, random);
      decoded.push(h);
    });
    const logits = conv2dSame(h, this.out.kernel as tf.Tensor4D, this.out.bias as tf.Tensor1D);
    if (!multiscale || this.deepHeads.length === 0) return [logits];
    // Coarse to fine, sources[length - 1 - level] has featureChannels[level] channels at 1/2^level resolution.
    const sources = this.featureChannels.length === 4 ? [skips[skips.length - 1], ...decoded] : decoded;
    const coarser = this.deepHeads.map((head, i) =>
      conv2dSame(sources[sources.length - 2 - i], head.kernel as tf.Tensor4D, head.bias as tf.Tensor1D),
    );
    return [logits, ...coarser];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of [...this.trainableVariables, ...this.stateVariables]) v.dispose();
    usedNames.delete(this.name);
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) {
      throw new MicflowError('invalid-shape', `UNet2D ${this.name} needs NHWC input of rank 4, got shape [${x.shape.join(', ')}]`);
    }
    const [, height, width, channels] = x.shape;
    if (channels !== this.inChannels) {
      throw new MicflowError('invalid-shape', `UNet2D ${this.name} expects ${this.inChannels} input channel(s), got ${channels}`);
    }
    const d = this.sizeDivisor;
    if (height % d !== 0 || width % d !== 0) {
      throw new MicflowError(
        'invalid-shape',
        `UNet2D ${this.name} input is ${height}x${width}; height and width must be divisible by ${d} ` +
          `(2^${this.featureChannels.length - 1}, one halving per down block)`,
      );
    }
  }

  private applyConvBlock(block: ConvBlock, x: tf.Tensor4D, training: boolean, random: SeededRandom | undefined): tf.Tensor4D {
    let h = this.applyBatchNorm(block.bn1, conv2dSame(x, block.conv1.kernel as tf.Tensor4D, block.conv1.bias as tf.Tensor1D), training);
    h = tf.leakyRelu(h, LEAKY_RELU_SLOPE);
    if (training && block.dropout > 0) h = dropout(h, block.dropout, (random as SeededRandom).derive(block.path, 'dropout'));
    h = this.applyBatchNorm(block.bn2, conv2dSame(h, block.conv2.kernel as tf.Tensor4D, block.conv2.bias as tf.Tensor1D), training);
    return tf.leakyRelu(h, LEAKY_RELU_SLOPE);
  }

  private applyBatchNorm(bn: BatchNorm, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const gamma = bn.gamma as tf.Tensor1D;
    const beta = bn.beta as tf.Tensor1D;
    if (!training) {
      return batchNormInference(x, gamma, beta, bn.runningMean as tf.Tensor1D, bn.runningVariance as tf.Tensor1D);
    }
    const { y, statistics } = batchNormTraining(x, gamma, beta);
    const updated = updatedRunningStatistics(
      bn.runningMean as tf.Tensor1D,
      bn.runningVariance as tf.Tensor1D,
      statistics,
      BATCH_NORM_MOMENTUM,
    );
    bn.runningMean.assign(updated.mean);
    bn.runningVariance.assign(updated.variance);
    return y;
  }

  private convBlock(path: string, cin: number, cout: number, p: number): ConvBlock {
    return {
      path,
      conv1: this.conv(`${path}/conv1`, [3, 3, cin, cout], 9 * cin),
      bn1: this.batchNorm(`${path}/bn1`, cout),
      conv2: this.conv(`${path}/conv2`, [3, 3, cout, cout], 9 * cout),
      bn2: this.batchNorm(`${path}/bn2`, cout),
      dropout: p,
    };
  }

  /** PyTorch's default init: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias likewise. */
  private conv(path: string, kernelShape: [number, number, number, number], fanIn: number, cout = kernelShape[3]): Conv {
    const bound = 1 / Math.sqrt(fanIn);
    const kernelSize = kernelShape.reduce((a, b) => a * b, 1);
    return {
      kernel: this.variable(`${path}/kernel`, this.random.derive(path, 'kernel').uniformArray(kernelSize, -bound, bound), kernelShape, true),
      bias: this.variable(`${path}/bias`, this.random.derive(path, 'bias').uniformArray(cout, -bound, bound), [cout], true),
    };
  }

  private batchNorm(path: string, channels: number): BatchNorm {
    return {
      gamma: this.variable(`${path}/gamma`, new Float32Array(channels).fill(1), [channels], true),
      beta: this.variable(`${path}/beta`, new Float32Array(channels), [channels], true),
      runningMean: this.variable(`${path}/running_mean`, new Float32Array(channels), [channels], false),
      runningVariance: this.variable(`${path}/running_var`, new Float32Array(channels).fill(1), [channels], false),
    };
  }

  private variable(path: string, values: Float32Array, shape: number[], trainable: boolean): tf.Variable {
    const initial = tf.tensor(values, shape, 'float32');
    try {
      const v = tf.variable(initial, trainable, `${this.name}/${path}`, 'float32');
      (trainable ? this.trainableVariables : this.stateVariables).push(v);
      return v;
    } finally {
      initial.dispose();
    }
  }
}
