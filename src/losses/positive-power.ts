import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';

/**
 * x^exponent for x > 0 as exp(exponent * log x), with the registered Exp and Log gradients (no Pow gradient needed):
 * d/dx = exponent x^(exponent - 1). Callers keep x away from 0 (e.g. tf.maximum(x, tiny)). Call inside tf.tidy.
 */
export function positivePower(x: tf.Tensor, exponent: number): tf.Tensor {
  return tf.exp(tf.mul(tf.log(x), exponent));
}
