import type * as tf from '@tensorflow/tfjs-core';
import { imageBatchOf, type SegmentationNetwork } from '../networks/segmentation-network.js';

/**
 * What inference needs from a model: logits [N, ...spatial, classes] for a batch of channels-last images
 * [N, ...spatial, channels], 2D (NHWC) or 3D (NDHWC). The caller owns the returned tensor (inference runs it in tf.tidy).
 */
export type BatchLogits = (batch: tf.Tensor) => tf.Tensor;

/**
 * A network's inference-mode forward pass (running batch-norm statistics, no dropout) as {@link BatchLogits}: NHWC
 * batches for a 2D network, NDHWC for a 3D one.
 */
export function networkLogits(network: Pick<SegmentationNetwork, 'apply'>): BatchLogits {
  return (batch) => network.apply(imageBatchOf(batch, 'inference input'), { training: false });
}
