import type { ImageArray } from '../images/image-array.js';
import { argmaxChannelsLast } from '../images/argmax-channels-last.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';
import { networkLogits } from './network-logits.js';
import { predictWholeImageProbabilities } from './whole-image-inference.js';

/**
 * Inference-mode class map of one whole image, 2D or 3D: {@link predictWholeImageProbabilities} (zero-padding to a
 * multiple of `sizeDivisor`, one forward pass, crop back) followed by the argmax over classes.
 * Returns the class per pixel (row-major) and the class count.
 */
export function predictWholeImage(
  network: SegmentationNetwork,
  image: ImageArray,
  sizeDivisor = 16,
): { labels: Int32Array; classes: number } {
  const probabilities = predictWholeImageProbabilities(networkLogits(network), image, sizeDivisor);
  const classes = probabilities.shape[probabilities.shape.length - 1];
  return { labels: argmaxChannelsLast(probabilities.data, classes), classes };
}
