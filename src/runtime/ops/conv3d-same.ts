import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { NATIVE_CONV_BACKPROP_FILTER_BIAS, NATIVE_FUSED_CONV3D } from '../native/native-kernels.js';
import { padVolume } from './pad-volume.js';

/**
 * 3D convolution, NDHWC, stride 1, odd kernel [kd, kh, kw, cin, cout], 'same' zero padding, plus bias — PyTorch's
 * nn.Conv3d(cin, cout, k, padding=k // 2) in channels-last layout.
 *
 * On the oneDNN "native" backend the forward pass is one fused call (convolution plus bias) and the gradient uses its
 * Conv3DBackpropInputV2 / Conv3DBackpropFilterV2 kernels, which test/runtime/kernel-conformance.test.ts checks against
 * the cpu backend and finite differences (the filter and bias gradients in one pass). Elsewhere the forward pass is tfjs's Conv3D plus a bias add, and the gradient
 * is ours, from forward convolutions and matMuls only: the wasm backend's Conv3DBackpropInputV2 gives wrong values and
 * it has no Conv3DBackpropFilterV2.
 *  - dx is a forward 'same' convolution of dy with the kernel flipped in space and in/out channels swapped;
 *  - dW[a, b, c] = sum over n, d, h, w of xpad[n, d + a, h + b, w + c, :]^T dy[n, d, h, w, :], one matMul per shift
 *    with dy transposed once, explicitly (wasm's matMul with transpose flags is slow);
 *  - db is the sum of dy over N, D, H, W.
 * No kernel of rank 5 but Conv3D, Slice and Transpose, which conform on every backend: tfjs 4.22's webgl backend has
 * no Reverse of rank 5 and cannot compile a PadV2 of rank 5, so the kernel is flipped as [kd·kh·kw, cin, cout] (one
 * reversal of the flattened spatial index flips all three spatial axes at once) and x is padded by padVolume.
 */
export function conv3dSame(x: tf.Tensor5D, kernel: tf.Tensor5D, bias: tf.Tensor1D): tf.Tensor5D {
  const [kd, kh, kw, cin, cout] = kernel.shape;
  if (x.rank !== 5) throw new MicflowError('invalid-shape', `conv3dSame needs NDHWC input of rank 5, got shape [${x.shape}]`);
  if (kd % 2 !== 1 || kh % 2 !== 1 || kw % 2 !== 1) {
    throw new MicflowError('invalid-shape', `conv3dSame needs an odd kernel size, got ${kd}x${kh}x${kw}`);
  }
  if (x.shape[4] !== cin) throw new MicflowError('invalid-shape', `conv3dSame: input has ${x.shape[4]} channels, kernel expects ${cin}`);
  if (bias.shape[0] !== cout) throw new MicflowError('invalid-shape', `conv3dSame: bias has ${bias.shape[0]} values, kernel has ${cout} outputs`);
  return conv3dSameOp(x, kernel, bias) as tf.Tensor5D;
}

const conv3dSameOp = tf.customGrad((...args) => {
  const [x, kernel, bias, save] = args as [tf.Tensor5D, tf.Tensor5D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, kernel]);
  const native = usesNativeKernels(kernel);
  const value = native
    ? (tf.engine().runKernel(NATIVE_FUSED_CONV3D, { x, filter: kernel, bias }, SAME_STRIDE_1 as unknown as tf.NamedAttrMap) as tf.Tensor5D)
    : (tf.add(convolve(x, kernel), bias) as tf.Tensor5D);
  return {
    value,
    gradFunc: (dy: tf.Tensor5D, saved: tf.Tensor[]) => {
      const [xs, ks] = saved as [tf.Tensor5D, tf.Tensor5D];
      if (native) {
        const dx = tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy, filter: ks }, { ...SAME_STRIDE_1, inputShape: xs.shape } as unknown as tf.NamedAttrMap) as tf.Tensor5D;
        // Filter and bias gradients in one oneDNN pass.
        const [dw, db] = tf.engine().runKernel(NATIVE_CONV_BACKPROP_FILTER_BIAS, { x: xs, dy }, { ...SAME_STRIDE_1, filterShape: ks.shape } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return [dx, dw, db];
      }
      return [convolve(dy, flippedKernel(ks)), kernelGradient(xs, dy, ks.shape), tf.sum(dy, [0, 1, 2, 3])];
    },
  };
});

const SAME_STRIDE_1 = { strides: [1, 1, 1], pad: 'same', dilations: [1, 1, 1], dataFormat: 'NDHWC' } as const;

/**
 * Whether the current backend has micflow's fused 3D convolution (the native backend) and the kernel is larger than
 * 1x1x1 (a 1x1x1 kernel stays one matMul, which is as fast there and the same on every backend).
 */
function usesNativeKernels(kernel: tf.Tensor5D): boolean {
  const [kd, kh, kw] = kernel.shape;
  return (kd > 1 || kh > 1 || kw > 1) && tf.getKernel(NATIVE_FUSED_CONV3D, tf.getBackend()) !== undefined;
}

/** The kernel flipped in all three spatial axes with input and output channels swapped: [kd, kh, kw, cout, cin]. */
function flippedKernel(kernel: tf.Tensor5D): tf.Tensor5D {
  const [kd, kh, kw, cin, cout] = kernel.shape;
  const taps = tf.reshape(kernel, [kd * kh * kw, cin, cout]);
  // Tap (a, b, c) sits at a·kh·kw + b·kw + c; reversing that index gives tap (kd-1-a, kh-1-b, kw-1-c).
  const flipped = kd * kh * kw > 1 ? tf.reverse(taps, 0) : taps;
  return tf.reshape(tf.transpose(flipped, [0, 2, 1]), [kd, kh, kw, cout, cin]);
}

/** 'same' convolution; a 1x1x1 kernel is one matMul (cheaper than Conv3D and the same on every backend). */
function convolve(x: tf.Tensor5D, kernel: tf.Tensor5D): tf.Tensor5D {
  const [kd, kh, kw, cin, cout] = kernel.shape;
  if (kd === 1 && kh === 1 && kw === 1) {
    const [n, d, h, w] = x.shape;
    return tf.reshape(tf.matMul(tf.reshape(x, [n * d * h * w, cin]) as tf.Tensor2D, tf.reshape(kernel, [cin, cout]) as tf.Tensor2D), [n, d, h, w, cout]);
  }
  return tf.conv3d(x, kernel, 1, 'same');
}

function kernelGradient(x: tf.Tensor5D, dy: tf.Tensor5D, kernelShape: [number, number, number, number, number]): tf.Tensor5D {
  const [kd, kh, kw, cin, cout] = kernelShape;
  const [n, d, h, w] = x.shape;
  const rows = n * d * h * w;
  const dyT = tf.transpose(tf.reshape(dy, [rows, cout])) as tf.Tensor2D; // [cout, rows]
  if (kd === 1 && kh === 1 && kw === 1) {
    return tf.reshape(tf.transpose(tf.matMul(dyT, tf.reshape(x, [rows, cin]) as tf.Tensor2D)), [1, 1, 1, cin, cout]);
  }
  const pd = (kd - 1) / 2;
  const ph = (kh - 1) / 2;
  const pw = (kw - 1) / 2;
  const xpad = padVolume(x, [[0, 0], [pd, pd], [ph, ph], [pw, pw], [0, 0]]);
  const perShift: tf.Tensor2D[] = [];
  for (let a = 0; a < kd; a++) {
    for (let b = 0; b < kh; b++) {
      for (let c = 0; c < kw; c++) {
        const shifted = tf.reshape(tf.slice(xpad, [0, a, b, c, 0], [n, d, h, w, cin]), [rows, cin]) as tf.Tensor2D;
        perShift.push(tf.matMul(dyT, shifted)); // [cout, cin]
      }
    }
  }
  // [kd*kh*kw, cout, cin] -> [kd*kh*kw, cin, cout] -> [kd, kh, kw, cin, cout]
  return tf.reshape(tf.transpose(tf.stack(perShift), [0, 2, 1]), [kd, kh, kw, cin, cout]);
}
