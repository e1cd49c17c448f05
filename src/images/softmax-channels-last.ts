/**
 * Softmax over the last (class) axis of channels-last logits, in place, in plain JS: per voxel
 * p_k = exp(l_k − max l) / Σ_j exp(l_j − max l). Numerically the same as tf.softmax, and much faster than the tfjs
 * cpu backend's kernel on the millions of voxels of a 3D window.
 */
export function softmaxChannelsLastInPlace(values: Float32Array, classes: number): Float32Array {
  for (let base = 0; base < values.length; base += classes) {
    let largest = -Infinity;
    for (let k = 0; k < classes; k++) if (values[base + k] > largest) largest = values[base + k];
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = Math.exp(values[base + k] - largest);
      values[base + k] = e;
      sum += e;
    }
    const inverse = 1 / sum;
    for (let k = 0; k < classes; k++) values[base + k] *= inverse;
  }
  return values;
}
