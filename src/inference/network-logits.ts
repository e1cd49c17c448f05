import type * as tf from '@tensorflow/tfjs-core';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';

/**
 * What inference needs from a model: logits [N, ...spatial, classes] for a batch of channels-last images
 * [N, ...spatial, channels], 2D (NHWC) or 3D (NDHWC). The caller owns the returned tensor (inference runs it in tf.tidy).
 */
export type BatchLogits = (batch: tf.Tensor) => tf.Tensor;

/**
 * A network's inference-mode forward pass (running batch-norm statistics, no dropout) as {@link BatchLogits}.
 * `SegmentationNetwork.apply` is typed for NHWC; a 3D network takes and returns NDHWC through the same method, so the
 * rank is passed through unchanged.
 */
export function networkLogits(network: Pick<SegmentationNetwork, 'apply'>): BatchLogits {
  return (batch) => network.apply(batch as tf.Tensor4D, { training: false }) as tf.Tensor;
}
