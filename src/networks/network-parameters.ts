import * as tf from '@tensorflow/tfjs-core';
import type { FusedBatchNormActivation } from '../runtime/ops/batch-norm.js';
import { batchNormLayer } from '../runtime/ops/conv-batch-norm-activation.js';
import type { SeededRandom } from '../runtime/seeded-random.js';

/** A convolution's weight and bias. */
export interface ConvParameters {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** A batch norm's affine parameters (trainable) and running statistics (state). */
export interface BatchNormParameters {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVariance: tf.Variable;
}

/** A free name `base`, `base_1`, ... : no registered variable starts with `name/`. */
export function freeNetworkName(base: string): string {
  const taken = (name: string) => Object.keys(tf.engine().registeredVariables).some((v) => v.startsWith(`${name}/`));
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * The variables of one network instance, named `${networkName}/${path}`, initialised as PyTorch does by default and
 * drawn from SeededRandom (each variable from `random.derive(path, role)`) so a seed gives the same weights on every
 * backend. Trainable variables feed the optimiser; state variables (batch-norm running statistics) go to checkpoints.
 */
export class NetworkParameters {
  readonly trainableVariables: tf.Variable[] = [];
  readonly stateVariables: tf.Variable[] = [];

  constructor(
    readonly networkName: string,
    private readonly random: SeededRandom,
  ) {}

  /**
   * A convolution with PyTorch's default init, kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the
   * weight and the bias (He et al., "Delving Deep into Rectifiers", ICCV 2015, with PyTorch's gain).
   */
  conv(path: string, kernelShape: number[], fanIn: number, outChannels = kernelShape[kernelShape.length - 1]): ConvParameters {
    const bound = 1 / Math.sqrt(fanIn);
    const kernelSize = kernelShape.reduce((a, b) => a * b, 1);
    return {
      kernel: this.variable(`${path}/kernel`, this.random.derive(path, 'kernel').uniformArray(kernelSize, -bound, bound), kernelShape, true),
      bias: this.variable(`${path}/bias`, this.random.derive(path, 'bias').uniformArray(outChannels, -bound, bound), [outChannels], true),
    };
  }

  /**
   * The weight of a convolution without bias (PyTorch's Conv2d(..., bias=False)), `${path}/kernel`, drawn as
   * {@link NetworkParameters.conv}'s kernel: U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
   */
  convKernel(path: string, kernelShape: number[], fanIn: number): tf.Variable {
    const bound = 1 / Math.sqrt(fanIn);
    const kernelSize = kernelShape.reduce((a, b) => a * b, 1);
    return this.variable(`${path}/kernel`, this.random.derive(path, 'kernel').uniformArray(kernelSize, -bound, bound), kernelShape, true);
  }

  /** Batch norm with gamma 1, beta 0, running mean 0 and running variance 1 (PyTorch's defaults). */
  batchNorm(path: string, channels: number): BatchNormParameters {
    return {
      gamma: this.variable(`${path}/gamma`, new Float32Array(channels).fill(1), [channels], true),
      beta: this.variable(`${path}/beta`, new Float32Array(channels), [channels], true),
      runningMean: this.variable(`${path}/running_mean`, new Float32Array(channels), [channels], false),
      runningVariance: this.variable(`${path}/running_var`, new Float32Array(channels).fill(1), [channels], false),
    };
  }

  /** A trainable tensor filled with `value` (e.g. a PReLU slope, 0.25 in PyTorch). */
  constant(path: string, shape: number[], value: number): tf.Variable {
    return this.variable(path, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape, true);
  }

  /** Number of trainable scalars. */
  count(): number {
    return this.trainableVariables.reduce((sum, v) => sum + v.size, 0);
  }

  dispose(): void {
    for (const v of [...this.trainableVariables, ...this.stateVariables]) v.dispose();
    this.trainableVariables.length = 0;
    this.stateVariables.length = 0;
  }

  private variable(path: string, values: Float32Array, shape: number[], trainable: boolean): tf.Variable {
    const initial = tf.tensor(values, shape, 'float32');
    try {
      const v = tf.variable(initial, trainable, `${this.networkName}/${path}`, 'float32');
      (trainable ? this.trainableVariables : this.stateVariables).push(v);
      return v;
    } finally {
      initial.dispose();
    }
  }
}

/**
 * A network's batch norm (BatchNorm2d / BatchNorm3d, channels-last, any rank): the runtime's batchNormLayer over its
 * variables — batch statistics in training (moving the running statistics by PyTorch's momentum), running statistics
 * at inference; with `activation`, the leaky ReLU fused into its passes on native.
 */
export function applyBatchNorm<T extends tf.Tensor>(bn: BatchNormParameters, x: T, training: boolean, activation?: FusedBatchNormActivation): T {
  return batchNormLayer(x, bn, training, activation);
}
