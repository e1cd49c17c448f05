import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { conv2dSame } from './conv2d-same.js';

/**
 * Dilated ("atrous") 2D convolution, NHWC, stride 1, odd kernel [kh, kw, cin, cout] whose taps are `dilation` pixels
 * apart, 'same' zero padding of dilation x (k - 1) / 2 on each side, plus bias: PyTorch's
 * Conv2d(kernel_size=k, dilation=d, padding=d (k - 1) / 2), the branch convolution of an ASPP block (Chen et al.,
 * "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous Convolution, and Fully Connected CRFs",
 * IEEE TPAMI 2018). With dilation 1 it is {@link conv2dSame}.
 *
 * The forward pass is tfjs's conv2d with dilations. The gradient is built from forward operations only, because tfjs's
 * Conv2DBackpropInput has no dilation and wasm has no Conv2DBackpropFilter:
 *  - dx is the same dilated 'same' convolution of dy with the kernel flipped in space and in/out channels swapped;
 *  - dW[i, j] = sum over n, h, w of xpad[n, h + d i, w + d j, :]^T dy[n, h, w, :], one matMul per tap;
 *  - db is the sum of dy over N, H, W.
 */
export function dilatedConv2dSame(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, dilation: number): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  if (!Number.isInteger(dilation) || dilation < 1) {
    throw new MicflowError('invalid-argument', `dilatedConv2dSame: dilation must be a positive integer, got ${dilation}`);
  }
  if (kh % 2 !== 1 || kw % 2 !== 1) {
    throw new MicflowError('invalid-shape', `dilatedConv2dSame needs an odd kernel size, got ${kh}x${kw}`);
  }
  if (x.shape[3] !== cin) {
    throw new MicflowError('invalid-shape', `dilatedConv2dSame: input has ${x.shape[3]} channels, kernel expects ${cin}`);
  }
  if (bias.shape[0] !== cout) {
    throw new MicflowError('invalid-shape', `dilatedConv2dSame: bias has ${bias.shape[0]} values, kernel has ${cout} outputs`);
  }
  if (dilation === 1) return conv2dSame(x, kernel, bias);
  let op = opsByDilation.get(dilation);
  if (op === undefined) {
    op = dilatedConvolutionOp(dilation);
    opsByDilation.set(dilation, op);
  }
  return op(x, kernel, bias) as tf.Tensor4D;
}

/** One custom-gradient op per dilation (customGrad's arguments are tensors only). */
const opsByDilation = new Map<number, (...inputs: tf.Tensor[]) => tf.Tensor>();

function dilatedConvolutionOp(dilation: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args) => {
    const [x, kernel, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    save([x, kernel]);
    const value = tf.add(tf.conv2d(x, kernel, 1, 'same', 'NHWC', dilation), bias) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
        const flipped = tf.transpose(tf.reverse(ks, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        const dx = tf.conv2d(dy, flipped, 1, 'same', 'NHWC', dilation);
        return [dx, kernelGradient(xs, dy, ks.shape, dilation), tf.sum(dy, [0, 1, 2])];
      },
    };
  });
}

function kernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernelShape: [number, number, number, number], dilation: number): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernelShape;
  const [n, h, w] = x.shape;
  const ph = (dilation * (kh - 1)) / 2;
  const pw = (dilation * (kw - 1)) / 2;
  const rows = n * h * w;
  const dyT = tf.transpose(tf.reshape(dy, [rows, cout])) as tf.Tensor2D; // [cout, N*H*W], reused for every tap
  const xpad = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
  const perTap: tf.Tensor2D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = tf.reshape(tf.slice(xpad, [0, dilation * i, dilation * j, 0], [n, h, w, cin]), [rows, cin]) as tf.Tensor2D;
      perTap.push(tf.matMul(dyT, shifted)); // [cout, cin]
    }
  }
  return tf.reshape(tf.transpose(tf.stack(perTap), [0, 2, 1]), [kh, kw, cin, cout]);
}
