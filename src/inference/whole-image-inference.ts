import * as tf from '@tensorflow/tfjs-core';
import { padVolume, type VolumePaddings } from '../runtime/ops/pad-volume.js';
import type { ImageArray } from '../images/image-array.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { BatchLogits } from './network-logits.js';
import { spatialShapeOf, type ProbabilityMap } from './probability-map.js';
import { softmaxChannelsLastInPlace } from '../images/softmax-channels-last.js';

/**
 * Whole-image inference, 2D or 3D: the image is zero-padded at the end of each spatial axis to a multiple of
 * `sizeDivisor` (a U-Net with four poolings needs 16; one divisor per axis, e.g. [1, 16, 16] for slice-wise 2D), run once as a batch of one, cropped back to the image, and turned into probabilities
 * with a softmax over classes. All tensors are released before returning.
 */
export function predictWholeImageProbabilities(logits: BatchLogits, image: ImageArray, sizeDivisor: number | readonly number[] = 16): ProbabilityMap {
  const { spatial, channels } = spatialShapeOf(image, 'whole-image inference');
  const divisors = typeof sizeDivisor === 'number' ? spatial.map(() => sizeDivisor) : sizeDivisor;
  if (divisors.length !== spatial.length) {
    throw new MicflowError('invalid-shape', `whole-image inference: ${divisors.length} size divisors for a ${spatial.length}D image`);
  }
  const padding = spatial.map((s, i) => (divisors[i] - (s % divisors[i])) % divisors[i]);
  // tf.tidy returns the logits tensor only: handed a typed array, it would walk every element looking for tensors.
  const output = tf.tidy(() => {
    let x = tf.tensor(image.data, [1, ...spatial, channels], 'float32');
    if (padding.some((p) => p > 0)) {
      const paddings: Array<[number, number]> = [[0, 0], ...padding.map((p): [number, number] => [0, p]), [0, 0]];
      // A volume pads through padVolume: webgl has no rank-5 pad (src/runtime/ops/pad-volume.ts).
      x = x.rank === 5 ? padVolume(x, paddings as unknown as VolumePaddings) : tf.pad(x, paddings);
    }
    const result = logits(x);
    const expected = [1, ...spatial.map((s, i) => s + padding[i])];
    if (result.rank !== expected.length + 1 || expected.some((s, i) => result.shape[i] !== s)) {
      throw new MicflowError('invalid-shape', `whole-image inference: the network returned shape ${result.shape.join('×')} for input ${x.shape.join('×')}`);
    }
    const classes = result.shape[result.rank - 1];
    return padding.some((p) => p > 0) ? tf.slice(result, new Array(result.rank).fill(0), [1, ...spatial, classes]) : result;
  });
  const classes = output.shape[output.rank - 1];
  try {
    const probabilities = softmaxChannelsLastInPlace(Float32Array.from(output.dataSync() as Float32Array), classes);
    return { data: probabilities, shape: [...spatial, classes] };
  } finally {
    output.dispose();
  }
}
