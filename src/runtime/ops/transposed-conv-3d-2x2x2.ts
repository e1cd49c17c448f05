import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';

/**
 * Transposed convolution with kernel 2 and stride 2, NDHWC, as PyTorch's nn.ConvTranspose3d(cin, cout, 2, stride=2):
 * y[n, 2d + a, 2h + b, 2w + c, o] = sum_i x[n, d, h, w, i] kernel[a, b, c, o, i] + bias[o].
 *
 * The kernel uses tfjs's conv3dTranspose layout [2, 2, 2, cout, cin] (PyTorch's weight is [cin, cout, 2, 2, 2]).
 * Windows do not overlap, so this is one matMul [N*D*H*W, cin] x [cin, 8*cout] and two rank-4 reshape/transposes
 * that interleave the offsets; tfjs has no conv3dTranspose gradient, and these ops differentiate on every backend
 * (no tensor above rank 6, which wasm's XNNPACK cannot broadcast).
 */
export function transposedConv3d2x2x2(x: tf.Tensor5D, kernel: tf.Tensor5D, bias: tf.Tensor1D): tf.Tensor5D {
  const [ka, kb, kc, cout, cin] = kernel.shape;
  if (ka !== 2 || kb !== 2 || kc !== 2) {
    throw new MicflowError('invalid-shape', `transposedConv3d2x2x2 needs a [2, 2, 2, cout, cin] kernel, got [${kernel.shape}]`);
  }
  if (x.rank !== 5 || x.shape[4] !== cin) {
    throw new MicflowError('invalid-shape', `transposedConv3d2x2x2: input [${x.shape}] must be NDHWC with ${cin} channels`);
  }
  if (bias.shape[0] !== cout) {
    throw new MicflowError('invalid-shape', `transposedConv3d2x2x2: bias has ${bias.shape[0]} values, kernel has ${cout} outputs`);
  }
  return tf.tidy(() => {
    const [n, d, h, w] = x.shape;
    const kernelMatrix = tf.reshape(tf.transpose(kernel, [4, 0, 1, 2, 3]), [cin, 8 * cout]); // columns (a, b, c, o)
    const rows = tf.matMul(tf.reshape(x, [n * d * h * w, cin]) as tf.Tensor2D, kernelMatrix as tf.Tensor2D);
    // (nd, hw, a, bco) -> (nd, a, hw, bco)
    const depthInterleaved = tf.transpose(tf.reshape(rows, [n * d, h * w, 2, 4 * cout]), [0, 2, 1, 3]);
    // (nda h, w, b, co) -> (nda h, b, w, co)
    const heightInterleaved = tf.transpose(tf.reshape(depthInterleaved, [n * d * 2 * h, w, 2, 2 * cout]), [0, 2, 1, 3]);
    return tf.add(tf.reshape(heightInterleaved, [n, 2 * d, 2 * h, 2 * w, cout]), bias) as tf.Tensor5D;
  });
}
