import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { conv2dSame } from '../runtime/ops/conv2d-same.js';
import { dropout } from '../runtime/ops/dropout.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { transposedConv2x2 } from '../runtime/ops/transposed-conv-2x2.js';
import { upsample2x } from '../runtime/ops/upsample-2x.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyBatchNorm, freeNetworkName, NetworkParameters, type BatchNormParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export interface UNet2DScSEArgs {
  name?: string;
  inChannels: number;
  classes: number;
  /** Five channel counts, each >= 2 (the channel SE halves them). Default [16, 32, 64, 128, 256]. */
  featureChannels?: readonly number[];
  /** Dropout per encoder level. Default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout?: readonly number[];
  /** Default 'bilinear' (PyMIC's UNet2D_ScSE always builds bilinear up blocks, whatever its `bilinear` param says). */
  upMode?: 'bilinear' | 'nearest' | 'transposed';
  random?: SeededRandom;
}

const LEAKY_RELU_SLOPE = 0.01;

/** Concurrent spatial and channel squeeze & excitation parameters for C channels. */
interface ScSE {
  fc1: ConvParameters; // [C, C/2]
  fc2: ConvParameters; // [C/2, C]
  spatial: ConvParameters; // 1x1 conv [1, 1, C, 1]
}

interface ConvBlock {
  path: string;
  conv1: ConvParameters;
  bn1: BatchNormParameters;
  conv2: ConvParameters;
  bn2: BatchNormParameters;
  scse: ScSE;
  dropout: number;
}

/**
 * PyMIC's UNet2D_ScSE (pymic/net/net2d/unet2d_scse.py): the 2D U-Net whose every conv block ends in a concurrent
 * spatial and channel squeeze & excitation block (A. G. Roy, N. Navab, C. Wachinger, "Concurrent Spatial and Channel
 * 'Squeeze & Excitation' in Fully Convolutional Networks", MICCAI 2018; "Recalibrating Fully Convolutional Networks
 * With Spatial and Channel Squeeze and Excitation Blocks", IEEE TMI 2019), NHWC:
 * - ConvBlock: conv3x3 -> BN -> LeakyReLU -> Dropout(p) -> conv3x3 -> BN -> LeakyReLU -> scSE;
 * - scSE(x) = max(cSE(x), sSE(x)): cSE scales channels by sigmoid(fc2(relu(fc1(mean_HW x)))) with a C/2 bottleneck
 *   (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018); sSE scales pixels by sigmoid(conv1x1(x) to 1 channel);
 * - encoder / decoder as UNet2D (decoder blocks without dropout); output: a 3x3 conv to class logits.
 */
export class UNet2DScSE implements SegmentationNetwork {
  static className = 'UNet2DScSE';
  readonly className = UNet2DScSE.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly featureChannels: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly upMode: 'bilinear' | 'nearest' | 'transposed';
  private readonly parameters: NetworkParameters;
  private readonly encoder: ConvBlock[] = [];
  private readonly decoder: { up: ConvParameters; block: ConvBlock }[] = [];
  private readonly out: ConvParameters;
  private disposed = false;

  constructor(args: UNet2DScSEArgs) {
    const features = [...(args.featureChannels ?? [16, 32, 64, 128, 256])];
    const rates = [...(args.dropout ?? [0.05, 0.1, 0.2, 0.3, 0.5])];
    if (features.length !== 5 || rates.length !== 5) {
      throw new MicflowError('invalid-argument', `UNet2DScSE needs 5 feature channel counts and dropout rates, got ${features.length} and ${rates.length}`);
    }
    if (features.some((f) => !Number.isInteger(f) || f < 2)) {
      throw new MicflowError('invalid-argument', `UNet2DScSE feature channels must be integers >= 2 (the channel SE halves them), got [${features}]`);
    }
    for (const [label, value] of [['inChannels', args.inChannels], ['classes', args.classes]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new MicflowError('invalid-argument', `UNet2DScSE ${label} must be a positive integer, got ${value}`);
    }
    if (rates.some((p) => !(p >= 0 && p < 1))) throw new MicflowError('invalid-argument', `UNet2DScSE dropout rates must be in [0, 1), got [${rates}]`);
    this.name = args.name ?? freeNetworkName('unet2d_scse');
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
        const in1 = features[level + 1];
        const in2 = features[level];
        const up = this.upMode === 'transposed' ? p.conv(`dec${k}/up`, [2, 2, in2, in1], in2 * 4, in2) : p.conv(`dec${k}/up`, [1, 1, in1, in2], in1);
        this.decoder.push({ up, block: this.convBlock(`dec${k}`, 2 * in2, in2, 0) });
      }
      this.out = p.conv('out', [3, 3, features[0], this.classes], 9 * features[0]);
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
    if (this.disposed) throw new MicflowError('invalid-argument', `UNet2DScSE ${this.name} was disposed`);
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new MicflowError('invalid-shape', `UNet2DScSE ${this.name} needs NHWC input with ${this.inChannels} channel(s), got shape [${x.shape}]`);
    }
    if (x.shape[1] % 16 !== 0 || x.shape[2] % 16 !== 0) {
      throw new MicflowError('invalid-shape', `UNet2DScSE ${this.name} input is ${x.shape[1]}x${x.shape[2]}; height and width must be divisible by 16`);
    }
    const { training, random } = opts;
    if (training && random === undefined && this.dropoutRates.some((p) => p > 0)) {
      throw new MicflowError('invalid-argument', `UNet2DScSE ${this.name}: training with dropout needs opts.random`);
    }
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let h = x;
      this.encoder.forEach((block, level) => {
        if (level > 0) h = maxPool2x2(h);
        h = this.applyConvBlock(block, h, training, random);
        skips.push(h);
      });
      this.decoder.forEach(({ up, block }, k) => {
        const upsampled =
          this.upMode === 'transposed'
            ? transposedConv2x2(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D)
            : upsample2x(conv2dSame(h, up.kernel as tf.Tensor4D, up.bias as tf.Tensor1D), this.upMode);
        h = this.applyConvBlock(block, tf.concat([skips[3 - k], upsampled], 3), training, random);
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
    return applyScSE(block.scse, tf.leakyRelu(h, LEAKY_RELU_SLOPE));
  }

  private convBlock(path: string, cin: number, cout: number, p: number): ConvBlock {
    const params = this.parameters;
    const reduced = Math.floor(cout / 2);
    return {
      path,
      conv1: params.conv(`${path}/conv1`, [3, 3, cin, cout], 9 * cin),
      bn1: params.batchNorm(`${path}/bn1`, cout),
      conv2: params.conv(`${path}/conv2`, [3, 3, cout, cout], 9 * cout),
      bn2: params.batchNorm(`${path}/bn2`, cout),
      scse: {
        fc1: params.conv(`${path}/cse/fc1`, [cout, reduced], cout),
        fc2: params.conv(`${path}/cse/fc2`, [reduced, cout], reduced),
        spatial: params.conv(`${path}/sse/conv`, [1, 1, cout, 1], cout),
      },
      dropout: p,
    };
  }
}

/** max(cSE(x), sSE(x)) for NHWC x (Roy et al., MICCAI 2018). */
function applyScSE(se: ScSE, x: tf.Tensor4D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const squeezed = tf.mean(x, [1, 2]) as tf.Tensor2D; // [N, C]
  const hidden = tf.relu(tf.add(tf.matMul(squeezed, se.fc1.kernel as tf.Tensor2D), se.fc1.bias));
  const channelGate = tf.sigmoid(tf.add(tf.matMul(hidden as tf.Tensor2D, se.fc2.kernel as tf.Tensor2D), se.fc2.bias));
  const channelExcited = tf.mul(x, tf.reshape(channelGate, [n, 1, 1, c]));
  const spatialGate = tf.sigmoid(conv2dSame(x, se.spatial.kernel as tf.Tensor4D, se.spatial.bias as tf.Tensor1D));
  return tf.maximum(channelExcited, tf.mul(x, spatialGate)) as tf.Tensor4D;
}
