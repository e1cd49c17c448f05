import { MicflowError } from '../errors/micflow-error.js';
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
/** A batch of channels-last images: [N, H, W, C] for a 2D network, [N, D, H, W, C] for a 3D one. */
export type ImageBatch = tf.Tensor4D | tf.Tensor5D;

/**
 * `x` as an image batch for a network, or a MicflowError('invalid-shape') naming `where` (e.g. `node "predict": image
 * input`) when its rank is neither 4 ([N, H, W, C]) nor 5 ([N, D, H, W, C]). Each network checks the rest itself.
 */
export function imageBatchOf(x: tf.Tensor, where: string): ImageBatch {
  if (x.rank !== 4 && x.rank !== 5) {
    throw new MicflowError('invalid-shape', `${where} has shape [${x.shape}], expected [N, H, W, C] or [N, D, H, W, C]`);
  }
  return x as ImageBatch;
}

export interface SegmentationNetwork {
  /** The architecture's name, e.g. 'UNet2D'. */
  readonly className: string;
  /** This instance's name; prefixes its variable names. */
  readonly name: string;
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables: readonly tf.Variable[];
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** Logits [N, H, W, classes] for images [N, H, W, inChannels] (2D), [N, D, H, W, classes] for volumes (3D). */
  apply(x: ImageBatch, opts: NetworkApplyOptions): ImageBatch;
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
  applyHeads(x: ImageBatch, opts: NetworkApplyOptions): ImageBatch[];
}

export function hasHeads(network: SegmentationNetwork): network is MultiHeadSegmentationNetwork {
  return typeof (network as Partial<MultiHeadSegmentationNetwork>).applyHeads === 'function';
}
