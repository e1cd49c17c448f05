import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import { imageBatchOf, type ImageBatch, type NetworkApplyOptions, type SegmentationNetwork } from '../networks/segmentation-network.js';
import type { BatchLogits } from './network-logits.js';
import { resizeLinearChannelsLast } from './resize-linear-channels-last.js';

/** A network with deep-supervision outputs: full-resolution logits first, then coarser ones (UNet2D, UNet3D). */
export interface MultiscaleSegmentationNetwork {
  readonly className: string;
  readonly name: string;
  applyMultiscale(x: ImageBatch, opts: NetworkApplyOptions): tf.Tensor[];
}

/** Whether a network exposes multiscale (deep-supervision) outputs. */
export function hasMultiscaleOutputs(network: SegmentationNetwork): network is SegmentationNetwork & MultiscaleSegmentationNetwork {
  return typeof (network as Partial<MultiscaleSegmentationNetwork>).applyMultiscale === 'function';
}

/**
 * Inference from all of a deeply supervised network's outputs, as PyMIC's `multi_pred_avg` (Dou et al., "3D deeply
 * supervised network for automated segmentation of volumetric medical images", MedIA 2017): every output's logits
 * are resized linearly to the input's spatial size ({@link resizeLinearChannelsLast}), turned into probabilities by a
 * softmax, and the probabilities averaged. The result is returned as log-probabilities, so that the softmax which
 * whole-image and sliding-window inference apply to logits gives back exactly the averaged probabilities
 * (softmax(log p) = p when Σp = 1). A network built without deep supervision returns its one output, unchanged in
 * effect.
 *
 * @throws MicflowError('invalid-argument') when the network has no multiscale outputs.
 */
export function multiscaleAverageLogits(network: SegmentationNetwork): BatchLogits {
  if (!hasMultiscaleOutputs(network)) {
    throw new MicflowError('invalid-argument', `network ${network.className} "${network.name}" has no multiscale outputs (applyMultiscale) to average`);
  }
  return (batch) =>
    tf.tidy(() => {
      const spatial = batch.shape.slice(1, -1);
      const outputs = network.applyMultiscale(imageBatchOf(batch, 'inference input'), { training: false });
      const probabilities = outputs.map((logits) => tf.softmax(resizeLinearChannelsLast(logits, spatial)));
      const mean = probabilities.length === 1 ? probabilities[0] : tf.div(tf.addN(probabilities), probabilities.length);
      return tf.log(mean);
    });
}
