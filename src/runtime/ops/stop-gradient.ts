import * as tf from '@tensorflow/tfjs-core';

/**
 * Identity in the forward pass, zero gradient in the backward pass (PyTorch's `detach`, TensorFlow's
 * `stop_gradient`): used for teacher predictions and pseudo labels that must not train the network that made them.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

const stopGradientOp = tf.customGrad((...args) => {
  const [input] = args as [tf.Tensor, tf.GradSaveFunc];
  return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});
