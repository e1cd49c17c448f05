import type { ImageArray, LabelArray } from './image-array.js';

/** A new label map with every value v replaced by `convert(v)`. */
export function mapLabels(label: LabelArray, convert: (value: number) => number): LabelArray {
  const out = new Int32Array(label.data.length);
  for (let i = 0; i < out.length; i++) out[i] = convert(label.data[i]);
  return { data: out, shape: label.shape };
}

/**
 * One-hot probabilities [...spatial, classes] of a label map. Points whose value is `skip` get all zeros; any other
 * value outside [0, classes) is reported through `outside(value)`.
 */
export function oneHotProbabilities(label: LabelArray, classes: number, outside: (value: number) => never, skip?: number): ImageArray {
  const out = new Float32Array(label.data.length * classes);
  for (let p = 0; p < label.data.length; p++) {
    const v = label.data[p];
    if (v === skip) continue;
    if (v < 0 || v >= classes) outside(v);
    out[p * classes + v] = 1;
  }
  return { data: out, shape: [...label.shape, classes] };
}
