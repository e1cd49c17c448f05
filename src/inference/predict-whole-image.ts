import * as tf from '@tensorflow/tfjs-core';
import type { ImageArray } from '../graph/sample.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';

/**
 * Inference-mode prediction of one whole 2D image: the image is zero-padded at the bottom/right to a multiple of
 * `sizeDivisor` (a U-Net with four poolings needs 16), run once, and the class map cropped back to the image.
 * Returns the argmax class per pixel (row-major H×W) and the class count.
 */
export function predictWholeImage(
  network: SegmentationNetwork,
  image: ImageArray,
  sizeDivisor = 16,
): { labels: Int32Array; classes: number } {
  const [h, w, c] = image.shape;
  const padH = (sizeDivisor - (h % sizeDivisor)) % sizeDivisor;
  const padW = (sizeDivisor - (w % sizeDivisor)) % sizeDivisor;
  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(image.data, [1, h, w, c]);
    if (padH || padW) x = tf.pad(x, [[0, 0], [0, padH], [0, padW], [0, 0]]);
    let logits = network.apply(x, { training: false });
    if (padH || padW) logits = tf.slice(logits, [0, 0, 0, 0], [1, h, w, logits.shape[3]]);
    const labels = tf.argMax(logits, -1).dataSync() as Int32Array;
    return { labels: Int32Array.from(labels), classes: logits.shape[3] };
  });
}
