import type * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../runtime/seeded-random.js';

/** How a network is run: training mode uses batch statistics (and updates running ones) and dropout. */
export interface NetworkApplyOptions {
  training: boolean;
  /** Randomness for dropout; required when training with any dropout probability > 0. */
  random?: SeededRandom;
}

/**
 * What the pipeline graph needs from a segmentation network, whatever its architecture: its variables (trainable ones
 * for the optimiser, state ones such as batch-norm running statistics for checkpoints), a forward pass from NHWC
 * images to NHWC logits, and disposal.
 */
export interface SegmentationNetwork {
  /** The architecture's name, e.g. 'UNet2D'. */
  readonly className: string;
  /** This instance's name; prefixes its variable names. */
  readonly name: string;
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables: readonly tf.Variable[];
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** Logits [N, H, W, classes] for images [N, H, W, inChannels]. */
  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D;
  dispose(): void;
}

/**
 * A network with several output heads from one forward pass, main head first: CCT's auxiliary decoders, a dual-branch
 * network's second decoder, a U-Net's deep-supervision scales. The ForwardHeads stage runs them; `apply` stays the
 * single inference output.
 */
export interface MultiHeadSegmentationNetwork extends SegmentationNetwork {
  /** One name per head, main first (e.g. ['main', 'aux0_dropout']); its length is the head count. */
  readonly headNames: readonly string[];
  /** Logits of every head, main first; heads may be coarser than the input (deep supervision scales). */
  applyHeads(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[];
}

export function hasHeads(network: SegmentationNetwork): network is MultiHeadSegmentationNetwork {
  return typeof (network as Partial<MultiHeadSegmentationNetwork>).applyHeads === 'function';
}
