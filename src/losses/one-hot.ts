import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';

/**
 * Integer class map [N,H,W] (int32) to one-hot float32 [N,H,W,C], channels last.
 *
 * tf.oneHot silently turns an out-of-range label into an all-zero row, and checking the values here would need a
 * read-back from the device. So this function does not check values: call {@link assertLabelsInRange} on the label
 * typed array where it is first loaded (outside any gradient tape), then build the tensor and call this.
 */
export function oneHotLabels(labels: tf.Tensor, classes: number): tf.Tensor {
  checkClassCount(classes, 'oneHotLabels');
  if (labels.dtype !== 'int32') {
    throw new MicflowError('invalid-argument', `oneHotLabels: labels must be an int32 class map, got ${labels.dtype}`);
  }
  // int32 then cast: the wasm backend's OneHot kernel ignores a float32 dtype and writes the integer bit pattern
  // (1 becomes 1.4e-45) in tfjs-backend-wasm 4.22.
  return tf.tidy(() => tf.cast(tf.oneHot(labels, classes), 'float32'));
}

/**
 * Throws MicflowError('invalid-data') naming `where` (e.g. a file or sample) unless every value is an integer in
 * 0..classes-1. Reports the first bad value, its index and how many values are bad. Runs on plain arrays, no tensors.
 */
export function assertLabelsInRange(labelArray: ArrayLike<number>, classes: number, where: string): void {
  checkClassCount(classes, where);
  let bad = 0;
  let firstIndex = -1;
  for (let i = 0; i < labelArray.length; i++) {
    const v = labelArray[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      if (bad === 0) firstIndex = i;
      bad++;
    }
  }
  if (bad > 0) {
    throw new MicflowError(
      'invalid-data',
      `${where}: label value ${labelArray[firstIndex]} at index ${firstIndex} is not a class in 0..${classes - 1}` +
        (bad > 1 ? ` (${bad} of ${labelArray.length} values are out of range)` : ''),
    );
  }
}

function checkClassCount(classes: number, where: string): void {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new MicflowError('invalid-argument', `${where}: class count must be a positive integer, got ${classes}`);
  }
}
