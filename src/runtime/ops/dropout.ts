import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { NATIVE_DROPOUT, NATIVE_MASKED_SCALE } from '../native/native-kernels.js';
import type { SeededRandom } from '../seeded-random.js';

/**
 * The keep mask of an elementwise dropout with drop probability p, already scaled: each value is 0 with probability
 * p, else 1 / (1 - p). Drawn from `random` in row-major order, so a given generator state gives the same mask on
 * every backend.
 */
export function dropoutMask(size: number, p: number, random: SeededRandom): Float32Array {
  // uniform() < p  <=>  nextUint32() < p * 2^32.
  return random.fillKeepMask(new Float32Array(size), p * 4294967296, 1 / (1 - p));
}

/**
 * Elementwise dropout as PyTorch's nn.Dropout(p) in training mode: zero each value with probability p and scale the
 * rest by 1 / (1 - p). p = 0 returns x itself. Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks
 * from Overfitting", JMLR 2014.
 *
 * Everywhere the value is x times {@link dropoutMask}'s mask and the gradient dy times the same mask. On the native
 * backend the mask's draws and the product are one threaded pass in the addon, which keeps a byte per element for
 * the gradient (about ten times faster than a float mask drawn on one thread and two multiplies); elsewhere it is
 * tf.mul by the float mask, differentiated by tfjs. Both give the same values bit for bit and leave `random` at the
 * same place in its stream.
 */
export function dropout<T extends tf.Tensor>(x: T, p: number, random: SeededRandom): T {
  if (!(p >= 0 && p < 1)) throw new MicflowError('invalid-argument', `dropout probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  if (x.dtype === 'float32' && tf.getKernel(NATIVE_DROPOUT, tf.getBackend())) return nativeDropout(x, p, random);
  return tf.mul(x, tf.tensor(dropoutMask(x.size, p, random), x.shape, 'float32')) as T;
}

function nativeDropout<T extends tf.Tensor>(x: T, p: number, random: SeededRandom): T {
  const keep = 1 / (1 - p);
  const op = tf.customGrad((...args) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [value, kept] = random.drawInPlace(
      (state) => tf.engine().runKernel(NATIVE_DROPOUT, { x: input }, { state, threshold: p * 4294967296, keep } as unknown as tf.NamedAttrMap) as tf.Tensor[],
    );
    save([kept]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(NATIVE_MASKED_SCALE, { dy, kept: saved[0] }, { keep }) as tf.Tensor,
    };
  });
  return op(x) as T;
}
