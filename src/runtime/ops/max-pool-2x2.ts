import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { onNativeBackend } from '../native/native-kernels.js';
import { nativeMaxPool } from './native-max-pool.js';

/**
 * 2x2 max pooling with stride 2, NHWC, as PyTorch's nn.MaxPool2d(2): odd heights/widths drop the last row/column.
 *
 * Built from reshape, slice and tf.maximum rather than the MaxPool kernel, whose wasm gradient disagrees with cpu.
 * Pairs are compared columns first, then rows, and tf.maximum sends the gradient of a tie to its first argument, so
 * among equal maxima the gradient goes to the first one in row-major window order — PyTorch's choice. (A max over
 * the window axes would give it to every tied element, which multiplies gradients in flat regions such as a zero
 * background.)
 *
 * On the native backend it is oneDNN's MaxPool and MaxPoolGrad kernels instead (one pass each way), which route the
 * gradient of a tie to the first maximum in window order too; test/runtime/kernel-conformance.test.ts checks both
 * against the cpu backend, ties included.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  if (ho === 0 || wo === 0) {
    throw new MicflowError('invalid-shape', `maxPool2x2 needs height and width >= 2, got ${h}x${w}`);
  }
  if (onNativeBackend()) return nativeMaxPool(x);
  const cropped = h % 2 || w % 2 ? tf.slice(x, [0, 0, 0, 0], [n, 2 * ho, 2 * wo, c]) : x;
  // Columns: [N*2Ho*Wo, 2, C], pick column 0 / 1 of each window.
  const byColumn = tf.reshape(cropped, [n * 2 * ho * wo, 2, c]);
  const left = tf.slice(byColumn, [0, 0, 0], [-1, 1, c]);
  const right = tf.slice(byColumn, [0, 1, 0], [-1, 1, c]);
  const rowMax = tf.maximum(left, right); // [N*2Ho*Wo, 1, C]
  // Rows: [N*Ho, 2, Wo*C], pick row 0 / 1 of each window.
  const byRow = tf.reshape(rowMax, [n * ho, 2, wo * c]);
  const top = tf.slice(byRow, [0, 0, 0], [-1, 1, wo * c]);
  const bottom = tf.slice(byRow, [0, 1, 0], [-1, 1, wo * c]);
  return tf.reshape(tf.maximum(top, bottom), [n, ho, wo, c]);
}
