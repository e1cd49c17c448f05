import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { NATIVE_AXIS_MAP, onNativeBackend } from '../native/native-kernels.js';

/** A constant [outSize, inSize] matrix (row-major) applied along one spatial axis. */
export interface AxisMatrix {
  values: Float32Array;
  outSize: number;
  inSize: number;
}

/**
 * Applies one constant matrix per spatial axis of a channels-last tensor [N, ...spatial, C] (rank 4 or 5): axis a of
 * size inSize becomes outSize, y = x x_a A_a for every axis (null leaves an axis unchanged). Resizing by linear
 * interpolation and average pooling are such separable linear maps. Each axis is one batched matMul of A [1, out, in]
 * with x reshaped to [before, in, after]; the gradient applies the explicitly transposed matrices (no transpose
 * flags, slow on wasm), so it is exact on every backend and needs no backend resize kernel (cpu's ResizeBilinear
 * gradient throws for H != W and tfjs has no trilinear resize). On the native backend each axis is instead one pass of
 * the MicflowAxisMap kernel over the matrix's non-zero entries only.
 */
export function applySeparableLinearMap<T extends tf.Tensor>(x: T, matrices: readonly (AxisMatrix | null)[]): T {
  const spatialRank = x.rank - 2;
  if (matrices.length !== spatialRank) {
    throw new MicflowError('invalid-shape', `applySeparableLinearMap: ${matrices.length} axis matrices for ${spatialRank} spatial axes of [${x.shape}]`);
  }
  matrices.forEach((m, i) => {
    if (m !== null && (m.inSize !== x.shape[i + 1] || m.values.length !== m.inSize * m.outSize)) {
      throw new MicflowError('invalid-shape', `applySeparableLinearMap: matrix for axis ${i + 1} expects size ${m.inSize}, input has ${x.shape[i + 1]}`);
    }
  });
  const transposedMatrices = matrices.map((m) => (m === null ? null : { values: transposed(m.values, m.outSize, m.inSize), outSize: m.inSize, inSize: m.outSize }));
  const op = tf.customGrad((...args) => {
    const [input] = args as [tf.Tensor, tf.GradSaveFunc];
    return { value: applyAll(input, matrices), gradFunc: (dy: tf.Tensor) => applyAll(dy, transposedMatrices) };
  });
  return op(x) as T;
}

function applyAll(x: tf.Tensor, matrices: readonly (AxisMatrix | null)[]): tf.Tensor {
  let y = x;
  const native = onNativeBackend() && x.dtype === 'float32';
  matrices.forEach((m, i) => {
    if (m === null) return;
    const shape = y.shape;
    const axis = i + 1;
    if (native) {
      // Only the non-zero entries (2 per row for x2 linear upsampling instead of the whole row), in one addon pass.
      const { taps, index, weight } = sparseRows(m);
      const attrs = { axis, outSize: m.outSize, taps, index, weight } as unknown as tf.NamedAttrMap;
      y = tf.engine().runKernel(NATIVE_AXIS_MAP, { x: y }, attrs) as tf.Tensor;
      return;
    }
    const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const product = tf.matMul(tf.tensor3d(m.values, [1, m.outSize, m.inSize]), tf.reshape(y, [before, m.inSize, after]) as tf.Tensor3D);
    const outShape = [...shape];
    outShape[axis] = m.outSize;
    y = tf.reshape(product, outShape);
  });
  return y;
}

/** A matrix's non-zero entries per row, padded to the longest row with weight 0 (index 0). */
interface SparseRows {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

const sparseCache = new WeakMap<Float32Array, SparseRows>();

/** The rows of `m` as (index, weight) taps for the native MicflowAxisMap kernel; cached per matrix. */
function sparseRows(m: AxisMatrix): SparseRows {
  const known = sparseCache.get(m.values);
  if (known) return known;
  let taps = 1;
  for (let r = 0; r < m.outSize; r++) {
    let count = 0;
    for (let c = 0; c < m.inSize; c++) if (m.values[r * m.inSize + c] !== 0) count++;
    taps = Math.max(taps, count);
  }
  const index = new Int32Array(m.outSize * taps);
  const weight = new Float32Array(m.outSize * taps);
  for (let r = 0; r < m.outSize; r++) {
    let k = 0;
    for (let c = 0; c < m.inSize; c++) {
      const w = m.values[r * m.inSize + c];
      if (w === 0) continue;
      index[r * taps + k] = c;
      weight[r * taps + k] = w;
      k++;
    }
  }
  const rows = { taps, index, weight };
  sparseCache.set(m.values, rows);
  return rows;
}

function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}
