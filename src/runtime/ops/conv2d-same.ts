import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { NATIVE_CONV_BACKPROP_FILTER_BIAS, onNativeBackend } from '../native/native-kernels.js';

/**
 * 2D convolution, NHWC, stride 1, odd square-or-not kernel [kh, kw, cin, cout], 'same' zero padding, plus bias.
 *
 * The forward pass is tfjs's own conv2d (XNNPACK on wasm). The gradient is ours because the wasm backend has no
 * Conv2DBackpropFilter kernel:
 *  - dx is a forward 'same' convolution of dy with the kernel flipped in space and with in/out channels swapped;
 *  - dW[i, j] = sum over n, h, w of xpad[n, h + i, w + j, :]^T dy[n, h, w, :], one matMul per shift (i, j). dy is
 *    transposed once, explicitly, because wasm's matMul with transpose flags is slow;
 *  - db is the sum of dy over N, H, W.
 * On the native backend the gradients are its oneDNN kernels instead (dW and db from one pass), see
 * BACKENDS_WITH_TRUSTED_CONV_GRADIENTS.
 */
export function conv2dSame(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  if (kh % 2 !== 1 || kw % 2 !== 1) {
    throw new MicflowError('invalid-shape', `conv2dSame needs an odd kernel size, got ${kh}x${kw}`);
  }
  if (x.shape[3] !== cin) {
    throw new MicflowError('invalid-shape', `conv2dSame: input has ${x.shape[3]} channels, kernel expects ${cin}`);
  }
  if (bias.shape[0] !== cout) {
    throw new MicflowError('invalid-shape', `conv2dSame: bias has ${bias.shape[0]} values, kernel has ${cout} outputs`);
  }
  return conv2dSameOp(x, kernel, bias) as tf.Tensor4D;
}

const conv2dSameOp = tf.customGrad((...args) => {
  const [x, kernel, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, kernel]);
  // On backends with trusted conv kernels the bias is added inside the convolution (oneDNN fuses it): one full-size
  // pass fewer than a separate add.
  const value = BACKENDS_WITH_TRUSTED_CONV_GRADIENTS.has(tf.getBackend())
    ? (tf.fused.conv2d({ x, filter: kernel, strides: 1, pad: 'same', bias }) as tf.Tensor4D)
    : (tf.add(tf.conv2d(x, kernel, 1, 'same'), bias) as tf.Tensor4D);
  return {
    value,
    gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
      const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
      if (onNativeBackend()) {
        // Filter and bias gradients in one oneDNN pass.
        const [dw, db] = tf.engine().runKernel(NATIVE_CONV_BACKPROP_FILTER_BIAS, { x: xs, dy }, { strides: [1, 1], pad: 'same', filterShape: ks.shape } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return [tf.conv2dTranspose(dy, ks, xs.shape, 1, 'same'), dw, db];
      }
      if (BACKENDS_WITH_TRUSTED_CONV_GRADIENTS.has(tf.getBackend())) {
        return [tf.conv2dTranspose(dy, ks, xs.shape, 1, 'same'), backendKernelGradient(xs, dy, ks.shape), tf.sum(dy, [0, 1, 2])];
      }
      return [inputGradient(dy, ks), kernelGradient(xs, dy, ks.shape), tf.sum(dy, [0, 1, 2])];
    },
  };
});

/**
 * Backends whose own Conv2DBackpropInput / Conv2DBackpropFilter kernels are used for the gradient: the oneDNN "native"
 * backend (checked against the cpu backend and finite differences in test/runtime/kernel-conformance.test.ts) and
 * TensorFlow's C library. Elsewhere (wasm has no filter-gradient kernel; cpu is the reference) the gradient is built
 * from forward convolutions, slices and matMuls below.
 */
const BACKENDS_WITH_TRUSTED_CONV_GRADIENTS = new Set(['native', 'tensorflow']);

function backendKernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number]): tf.Tensor4D {
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function inputGradient(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(dy, flipped, 1, 'same');
}

function kernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernelShape: [number, number, number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernelShape;
  const [n, h, w] = x.shape;
  const ph = (kh - 1) / 2;
  const pw = (kw - 1) / 2;
  const rows = n * h * w;
  // [cout, N*H*W]: transposed once and reused for every shift.
  const dyT = tf.transpose(tf.reshape(dy, [rows, cout])) as tf.Tensor2D;
  if (kh === 1 && kw === 1) {
    return tf.reshape(tf.transpose(tf.matMul(dyT, tf.reshape(x, [rows, cin]))), [1, 1, cin, cout]);
  }
  const xpad = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
  const perShift: tf.Tensor2D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = tf.reshape(tf.slice(xpad, [0, i, j, 0], [n, h, w, cin]), [rows, cin]) as tf.Tensor2D;
      perShift.push(tf.matMul(dyT, shifted)); // [cout, cin]
    }
  }
  // [kh*kw, cout, cin] -> [kh*kw, cin, cout] -> [kh, kw, cin, cout]
  return tf.reshape(tf.transpose(tf.stack(perShift), [0, 2, 1]), [kh, kw, cin, cout]);
}
