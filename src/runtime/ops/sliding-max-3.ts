import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';

/** Stands in for -infinity in the padding of a max filter (finite, so 0 * padding stays 0 in gradients). */
const MINUS_INFINITY = -3e38;

/**
 * Max filter with window 3, stride 1 and padding 1 along every spatial axis of a channels-last tensor
 * [N, ...spatial, C] (2D or 3D): PyTorch's max_pool2d / max_pool3d(kernel 3, stride 1, padding 1), whose padding is
 * -infinity. The max is separable, so it is three-tap maxima along each axis in turn, built from pad, slice and
 * tf.maximum (the MaxPool kernels' gradients are wrong on wasm, and there is no MaxPool3D gradient there). Ties send
 * the gradient to one element (tf.maximum's first argument), as PyTorch's max pool does.
 */
export function slidingMax3<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => slidingMax3Untidy(x));
}

function slidingMax3Untidy<T extends tf.Tensor>(x: T): T {
  let y: tf.Tensor = x;
  for (let axis = 1; axis < x.rank - 1; axis++) {
    const paddings = y.shape.map((_, i): [number, number] => (i === axis ? [1, 1] : [0, 0]));
    const padded = tf.pad(y, paddings, MINUS_INFINITY);
    const size = y.shape.slice();
    const at = (offset: number) => tf.slice(padded, y.shape.map((_, i) => (i === axis ? offset : 0)), size);
    y = tf.maximum(tf.maximum(at(1), at(0)), at(2));
  }
  return y as T;
}

/** Min filter with window 3, stride 1 and padding 1 (padding +infinity): -slidingMax3(-x). */
export function slidingMin3<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.neg(slidingMax3Untidy(tf.neg(x))) as T);
}
