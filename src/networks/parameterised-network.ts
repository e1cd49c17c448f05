import type * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { NetworkParameters } from './network-parameters.js';
import type { NetworkApplyOptions } from './segmentation-network.js';

/**
 * Base of the networks whose variables live in one {@link NetworkParameters}: the SegmentationNetwork bookkeeping
 * (trainable and state variables, parameter count, disposal) and the checks every forward pass starts with. A
 * subclass assigns `parameters` in its constructor and cites its architecture's paper itself.
 */
export abstract class ParameterisedNetwork {
  abstract readonly className: string;
  abstract readonly name: string;
  /** Dropout probability per level; training with any > 0 needs opts.random. */
  abstract readonly dropoutRates: readonly number[];
  protected parameters!: NetworkParameters;
  protected disposed = false;

  get trainableVariables(): tf.Variable[] {
    return this.parameters.trainableVariables;
  }

  get stateVariables(): tf.Variable[] {
    return this.parameters.stateVariables;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters.count();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.parameters.dispose();
  }

  /** Throws if the network was disposed. */
  protected checkNotDisposed(): void {
    if (this.disposed) throw new MicflowError('invalid-argument', `${this.className} ${this.name} was disposed`);
  }

  /** Throws if training with dropout has no randomness to draw the masks from. */
  protected checkDropoutRandom({ training, random }: NetworkApplyOptions): void {
    if (training && random === undefined && this.dropoutRates.some((p) => p > 0)) {
      throw new MicflowError('invalid-argument', `${this.className} ${this.name}: training with dropout needs opts.random`);
    }
  }

  /** Throws unless x is NHWC with `inChannels` channels and height and width divisible by `divisor`. */
  protected checkImageInput(x: tf.Tensor4D, inChannels: number, divisor: number): void {
    if (x.rank !== 4 || x.shape[3] !== inChannels) {
      throw new MicflowError('invalid-shape', `${this.className} ${this.name} needs NHWC input with ${inChannels} channel(s), got shape [${x.shape}]`);
    }
    if (x.shape[1] % divisor !== 0 || x.shape[2] % divisor !== 0) {
      throw new MicflowError('invalid-shape', `${this.className} ${this.name} input is ${x.shape[1]}x${x.shape[2]}; height and width must be divisible by ${divisor}`);
    }
  }

  /**
   * Throws unless x is NDHWC with `inChannels` channels and depth, height and width divisible by `divisor` (one
   * halving per down block).
   */
  protected checkVolumeInput(x: tf.Tensor5D, inChannels: number, divisor: number): void {
    if (x.rank !== 5 || x.shape[4] !== inChannels) {
      throw new MicflowError('invalid-shape', `${this.className} ${this.name} needs NDHWC input with ${inChannels} channel(s), got shape [${x.shape}]`);
    }
    const [, d, h, w] = x.shape;
    if (d % divisor !== 0 || h % divisor !== 0 || w % divisor !== 0) {
      throw new MicflowError(
        'invalid-shape',
        `${this.className} ${this.name} input is ${d}x${h}x${w}; depth, height and width must be divisible by ${divisor} (one halving per down block)`,
      );
    }
  }
}
