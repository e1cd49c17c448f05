import * as tf from '@tensorflow/tfjs-core';

/**
 * Linear (bi-/trilinear) resize of a channels-last batch [N, ...spatial, C], 2D or 3D, to `outputSpatial`, with
 * half-pixel point centres as torch's `interpolate(..., align_corners=False)` (which PyMIC uses to bring multiscale
 * outputs to full size): output index o along an axis of input size I and output size O reads position
 * (o + ½)·I/O − ½, clamped to [0, I − 1]. Separable: one pair of gathers and a blend per axis, so it works for any
 * rank (tfjs has no 3D resize). Not meant to be differentiated (inference only).
 */
export function resizeLinearChannelsLast(batch: tf.Tensor, outputSpatial: readonly number[]): tf.Tensor {
  const spatialAxes = batch.rank - 2;
  if (outputSpatial.length !== spatialAxes) {
    throw new RangeError(`resizeLinearChannelsLast: ${outputSpatial.length} output sizes for a batch of shape ${batch.shape.join('×')}`);
  }
  return tf.tidy(() => {
    let x = batch;
    for (let a = 0; a < spatialAxes; a++) {
      const axis = a + 1;
      const input = x.shape[axis];
      const output = outputSpatial[a];
      if (input === output) continue;
      const low = new Int32Array(output);
      const high = new Int32Array(output);
      const fraction = new Float32Array(output);
      for (let o = 0; o < output; o++) {
        const position = Math.min(input - 1, Math.max(0, ((o + 0.5) * input) / output - 0.5));
        low[o] = Math.floor(position);
        high[o] = Math.min(input - 1, low[o] + 1);
        fraction[o] = position - low[o];
      }
      const weightShape = x.shape.map((_, i) => (i === axis ? output : 1));
      const weight = tf.tensor(fraction, weightShape, 'float32');
      const lower = tf.gather(x, tf.tensor1d(low, 'int32'), axis);
      const upper = tf.gather(x, tf.tensor1d(high, 'int32'), axis);
      x = tf.add(lower, tf.mul(tf.sub(upper, lower), weight));
    }
    return x === batch ? tf.clone(batch) : x;
  });
}
