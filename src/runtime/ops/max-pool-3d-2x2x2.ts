import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { onNativeBackend } from '../native/native-kernels.js';
import { nativeMaxPool } from './native-max-pool.js';

/**
 * 2x2x2 max pooling with stride 2, NDHWC, as PyTorch's nn.MaxPool3d(2): odd sizes drop the last slice / row / column.
 *
 * Built from reshape, slice and tf.maximum (rank 4 at most) rather than the MaxPool3D kernel, which is wrong on
 * wasm, and rather than one reshape to rank 8, whose broadcast gradients wasm's XNNPACK (rank <= 6) computes as zeros.
 * Pairs are compared along width, then height, then depth; tf.maximum sends the gradient of a tie to its first
 * argument, so among equal maxima the first in (d, h, w) window order wins, as in PyTorch. On the native backend it is
 * oneDNN's MaxPool3D and MaxPool3DGrad kernels instead, with the same tie rule (checked against cpu in
 * test/runtime/kernel-conformance.test.ts).
 */
export function maxPool3d2x2x2(x: tf.Tensor5D): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape;
  const [dOut, hOut, wOut] = [Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2)];
  if (dOut === 0 || hOut === 0 || wOut === 0) {
    throw new MicflowError('invalid-shape', `maxPool3d2x2x2 needs depth, height and width >= 2, got ${d}x${h}x${w}`);
  }
  if (onNativeBackend()) return nativeMaxPool(x);
  return tf.tidy(() => {
    // The crop is a slice of the [N, D, H, W·C] view (the first 2·Wo·C values of a row are its first 2·Wo columns):
    // a rank-5 slice's gradient is a rank-5 PadV2, which tfjs 4.22's webgl backend cannot compile.
    const cropped = d % 2 || h % 2 || w % 2 ? tf.slice(tf.reshape(x, [n, d, h, w * c]), [0, 0, 0, 0], [n, 2 * dOut, 2 * hOut, 2 * wOut * c]) : x;
    const pairMax = (t: tf.Tensor, groups: number, inner: number) => {
      const paired = tf.reshape(t, [groups, 2, inner]);
      return tf.maximum(tf.slice(paired, [0, 0, 0], [groups, 1, inner]), tf.slice(paired, [0, 1, 0], [groups, 1, inner]));
    };
    const alongW = pairMax(cropped, n * 2 * dOut * 2 * hOut * wOut, c); // [N 2Do 2Ho Wo, 1, C]
    const alongH = pairMax(alongW, n * 2 * dOut * hOut, wOut * c); // [N 2Do Ho, 1, Wo C]
    const alongD = pairMax(alongH, n * dOut, hOut * wOut * c); // [N Do, 1, Ho Wo C]
    return tf.reshape(alongD, [n, dOut, hOut, wOut, c]);
  });
}
