import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { onNativeBackend } from '../native/native-kernels.js';
import { applySeparableLinearMap } from './separable-linear-map.js';

export type Upsample2xMode = 'bilinear' | 'nearest';

/**
 * The [2n, n] matrix that maps n samples to 2n along one axis.
 *  - 'bilinear': PyTorch's align_corners=True — output o samples source position o * (n - 1) / (2n - 1).
 *  - 'nearest': PyTorch's mode='nearest' with scale 2 — output o copies source floor(o / 2).
 */
export function upsampleMatrix(n: number, mode: Upsample2xMode): Float32Array {
  const m = 2 * n;
  const a = new Float32Array(m * n);
  for (let o = 0; o < m; o++) {
    if (mode === 'nearest') {
      a[o * n + Math.floor(o / 2)] = 1;
      continue;
    }
    const source = n === 1 ? 0 : (o * (n - 1)) / (m - 1);
    const i0 = Math.min(Math.floor(source), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    const frac = source - i0;
    a[o * n + i0] += 1 - frac;
    a[o * n + i1] += frac;
  }
  return a;
}

function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/**
 * x2 upsampling of NHWC images, as PyTorch's nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True) or
 * mode='nearest'. Both are linear maps done as two batched matMuls with constant interpolation matrices:
 * [N, H, W*C] left-multiplied by A_h [1, 2H, H], then [N*2H, W, C] left-multiplied by A_w [1, 2W, W]. Works for
 * H != W (the cpu backend's ResizeBilinear gradient does not). The gradient multiplies by the transposed matrices,
 * built explicitly (no transpose flags, which are slow on wasm). On the native backend the same matrices go through
 * applySeparableLinearMap, which applies only their non-zero entries (two per output row).
 */
export function upsample2x(x: tf.Tensor4D, mode: Upsample2xMode): tf.Tensor4D {
  const [, h, w] = x.shape;
  const ah = upsampleMatrix(h, mode);
  const aw = upsampleMatrix(w, mode);
  if (onNativeBackend()) {
    // The same matrices through the separable map, which runs only their non-zero taps on native.
    return applySeparableLinearMap(x, [{ values: ah, outSize: 2 * h, inSize: h }, { values: aw, outSize: 2 * w, inSize: w }]);
  }
  const op = tf.customGrad((...args) => {
    const [input] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const value = applyTwoAxes(input, tf.tensor3d(ah, [1, 2 * h, h]), tf.tensor3d(aw, [1, 2 * w, w]));
    return {
      value,
      gradFunc: (dy: tf.Tensor4D) =>
        applyTwoAxes(dy, tf.tensor3d(transposed(ah, 2 * h, h), [1, h, 2 * h]), tf.tensor3d(transposed(aw, 2 * w, w), [1, w, 2 * w])),
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Left-multiplies the H axis by mh [1, H', H] and the W axis by mw [1, W', W]. */
function applyTwoAxes(x: tf.Tensor4D, mh: tf.Tensor3D, mw: tf.Tensor3D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const hOut = mh.shape[1];
  const wOut = mw.shape[1];
  const alongH = tf.matMul(mh, tf.reshape(x, [n, h, w * c]) as tf.Tensor3D); // [N, H', W*C]
  const alongW = tf.matMul(mw, tf.reshape(alongH, [n * hOut, w, c]) as tf.Tensor3D); // [N*H', W', C]
  return tf.reshape(alongW, [n, hOut, wOut, c]);
}
