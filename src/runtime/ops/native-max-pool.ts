import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';

const WINDOW_2_STRIDE_2 = { filterSize: 2, strides: 2, pad: 'valid' } as const;
const WINDOW_2_STRIDE_2_3D = { filterSize: [2, 2, 2], strides: [2, 2, 2], pad: 'valid', dataFormat: 'NDHWC' } as const;

/**
 * 2x2 (NHWC) or 2x2x2 (NDHWC) max pooling with stride 2, odd sizes dropping the last row / column / slice, through the
 * backend's MaxPool / MaxPool3D kernel and, for the gradient, its MaxPoolGrad / MaxPool3DGrad kernel, each one pass.
 * For the oneDNN "native" backend, whose pooling gradient routes a tie to the first maximum in window order as PyTorch
 * does (Ranzato et al., CVPR 2007, for max pooling; maxPool2x2 and maxPool3d2x2x2 call it there). Not for wasm,
 * whose MaxPool gradients disagree with the cpu backend.
 */
export function nativeMaxPool<T extends tf.Tensor4D | tf.Tensor5D>(x: T): T {
  const volume = x.rank === 5;
  const attrs = (volume ? WINDOW_2_STRIDE_2_3D : WINDOW_2_STRIDE_2) as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args) => {
    const [input, save] = args as [T, tf.GradSaveFunc];
    const value = tf.engine().runKernel(volume ? tf.MaxPool3D : tf.MaxPool, { x: input }, attrs) as T;
    save([input, value]);
    return {
      value,
      gradFunc: (dy: T, saved: tf.Tensor[]) => {
        const [inputSaved, output] = saved;
        return tf.engine().runKernel(volume ? tf.MaxPool3DGrad : tf.MaxPoolGrad, { dy, input: inputSaved, output }, attrs) as T;
      },
    };
  });
  return op(x) as T;
}
