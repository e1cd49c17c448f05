import * as tf from '@tensorflow/tfjs-core';
import type { ImageArray } from '../graph/sample.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { BatchLogits } from './network-logits.js';
import { spatialShapeOf, type ProbabilityMap } from './probability-map.js';

/**
 * Whole-image inference, 2D or 3D: the image is zero-padded at the end of each spatial axis to a multiple of
 * `sizeDivisor` (a U-Net with four poolings needs 16), run once as a batch of one, turned into probabilities with a
 * softmax over classes, and cropped back to the image. All tensors are released before returning.
 */
export function predictWholeImageProbabilities(logits: BatchLogits, image: ImageArray, sizeDivisor = 16): ProbabilityMap {
  const { spatial, channels } = spatialShapeOf(image, 'whole-image inference');
  const padding = spatial.map((s) => (sizeDivisor - (s % sizeDivisor)) % sizeDivisor);
  return tf.tidy(() => {
    let x = tf.tensor(image.data, [1, ...spatial, channels], 'float32');
    if (padding.some((p) => p > 0)) x = tf.pad(x, [[0, 0], ...padding.map((p): [number, number] => [0, p]), [0, 0]]);
    const output = logits(x);
    const expected = [1, ...spatial.map((s, i) => s + padding[i])];
    if (output.rank !== expected.length + 1 || expected.some((s, i) => output.shape[i] !== s)) {
      throw new MicflowError('invalid-shape', `whole-image inference: the network returned shape ${output.shape.join('×')} for input ${x.shape.join('×')}`);
    }
    let probabilities = tf.softmax(output);
    const classes = output.shape[output.rank - 1];
    if (padding.some((p) => p > 0)) probabilities = tf.slice(probabilities, new Array(output.rank).fill(0), [1, ...spatial, classes]);
    return { data: Float32Array.from(probabilities.dataSync()), shape: [...spatial, classes] };
  });
}
