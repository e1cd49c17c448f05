import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
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
 * rest by 1 / (1 - p). p = 0 returns x itself. The gradient is tfjs's own (a multiply by the constant mask).
 */
export function dropout<T extends tf.Tensor>(x: T, p: number, random: SeededRandom): T {
  if (!(p >= 0 && p < 1)) throw new MicflowError('invalid-argument', `dropout probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  return tf.mul(x, tf.tensor(dropoutMask(x.size, p, random), x.shape, 'float32')) as T;
}
