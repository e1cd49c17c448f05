import { MicflowError } from '../errors/micflow-error.js';

/**
 * Channels-last argmax: prob holds pixels x channels values (pixel-major, channel fastest); returns the index of the
 * largest channel per pixel. Ties go to the lowest index (as tf.argMax and numpy.argmax); NaN never wins, and a pixel
 * whose values are all NaN gets 0.
 */
export function argmaxChannelsLast(prob: Float32Array, channels: number): Int32Array {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new MicflowError('invalid-argument', `argmaxChannelsLast: channel count must be a positive integer, got ${channels}`);
  }
  if (prob.length % channels !== 0) {
    throw new MicflowError('invalid-shape', `argmaxChannelsLast: ${prob.length} values are not a whole number of ${channels}-channel pixels`);
  }
  const pixels = prob.length / channels;
  const out = new Int32Array(pixels);
  for (let i = 0, base = 0; i < pixels; i++, base += channels) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < channels; c++) {
      const v = prob[base + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
