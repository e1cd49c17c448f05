import * as tf from '@tensorflow/tfjs-core';

/**
 * Computes `f(...inputs)` off the gradient tape: the result is a constant to tf.grad / tf.variableGrads, as if it had
 * been read back and uploaded again, but without leaving the device.
 *
 * This is what a selection or pseudo-label step needs. {@link stopGradient} zeroes the gradient at one tensor, but the
 * ops computed from it afterwards are still recorded, and backpropagation fails at the first one tfjs has no gradient
 * for (TopK, Any, LogicalAnd, NotEqual, Greater...) even though that gradient would be multiplied by zero — including
 * ops a consumer applies to the result, such as a loss thresholding a mask. Here `f` runs as the forward function of
 * a custom op that takes no tensor inputs (the inputs are captured instead), so neither the ops inside `f` nor anything
 * computed from its result is connected to the trainable variables. `f` runs inside a tidy scope: only its result
 * survives (and whatever it tf.keep()s). It must return a new tensor.
 */
export function withoutGradient<T extends tf.Tensor>(inputs: readonly tf.Tensor[], f: (...xs: tf.Tensor[]) => T): T {
  const op = tf.customGrad(() => ({ value: f(...inputs), gradFunc: () => [] }));
  return (op as unknown as () => T)();
}
