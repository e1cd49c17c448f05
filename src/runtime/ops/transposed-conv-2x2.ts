import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';

/**
 * Transposed convolution with kernel 2 and stride 2, NHWC, as PyTorch's nn.ConvTranspose2d(cin, cout, 2, stride=2):
 * y[n, 2h + i, 2w + j, o] = sum_c x[n, h, w, c] * kernel[i, j, o, c] + bias[o].
 *
 * The kernel uses tfjs's conv2dTranspose layout [2, 2, cout, cin] (PyTorch's weight is [cin, cout, 2, 2]). Windows do
 * not overlap, so this is one matMul [N*H*W, cin] x [cin, 4*cout] and a reshape/transpose; the gradient is ours so
 * that every matMul has explicitly transposed operands (transpose flags are slow on wasm).
 */
export function transposedConv2x2(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const [kh, kw, cout, cin] = kernel.shape;
  if (kh !== 2 || kw !== 2) {
    throw new MicflowError('invalid-shape', `transposedConv2x2 needs a [2, 2, cout, cin] kernel, got [${kernel.shape.join(', ')}]`);
  }
  if (x.shape[3] !== cin) {
    throw new MicflowError('invalid-shape', `transposedConv2x2: input has ${x.shape[3]} channels, kernel expects ${cin}`);
  }
  if (bias.shape[0] !== cout) {
    throw new MicflowError('invalid-shape', `transposedConv2x2: bias has ${bias.shape[0]} values, kernel has ${cout} outputs`);
  }
  return transposedConv2x2Op(x, kernel, bias) as tf.Tensor4D;
}

/** [2, 2, cout, cin] -> [cin, 4*cout] with columns ordered (i, j, o). */
function kernelMatrix(kernel: tf.Tensor4D): tf.Tensor2D {
  const [, , cout, cin] = kernel.shape;
  return tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [cin, 4 * cout]);
}

const transposedConv2x2Op = tf.customGrad((...args) => {
  const [x, kernel, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, kernel]);
  const [n, h, w, cin] = x.shape;
  const cout = kernel.shape[2];
  const rows = tf.matMul(tf.reshape(x, [n * h * w, cin]) as tf.Tensor2D, kernelMatrix(kernel)); // [NHW, (i,j,o)]
  // [N*H, W, i, (j,o)] -> [N*H, i, W, (j,o)] -> [N, 2H, 2W, cout]
  const interleaved = tf.transpose(tf.reshape(rows, [n * h, w, 2, 2 * cout]), [0, 2, 1, 3]);
  const value = tf.add(tf.reshape(interleaved, [n, 2 * h, 2 * w, cout]), bias) as tf.Tensor4D;
  return {
    value,
    gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
      const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dRows = tf.reshape(
        tf.transpose(tf.reshape(dy, [n * h, 2, w, 2 * cout]), [0, 2, 1, 3]),
        [n * h * w, 4 * cout],
      ) as tf.Tensor2D;
      const kMatT = tf.transpose(kernelMatrix(ks)) as tf.Tensor2D; // [4*cout, cin]
      const dx = tf.reshape(tf.matMul(dRows, kMatT), [n, h, w, cin]);
      const xT = tf.transpose(tf.reshape(xs, [n * h * w, cin])) as tf.Tensor2D; // [cin, NHW]
      const dKMat = tf.matMul(xT, dRows); // [cin, (i,j,o)]
      const dKernel = tf.transpose(tf.reshape(dKMat, [cin, 2, 2, cout]), [1, 2, 3, 0]);
      return [dx, dKernel, tf.sum(dy, [0, 1, 2])];
    },
  };
});
