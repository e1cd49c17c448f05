/**
 * Gradient functions for the tfjs kernels micflow differentiates through. Import this module (for its side effect)
 * before differentiating anything.
 *
 * `@tensorflow/tfjs-core` registers no gradients by itself, and its own `dist/register_all_gradients.js` is an ES
 * module with extension-less imports that Node cannot load. The union package `@tensorflow/tfjs` bundles all of tfjs's
 * gradient configs and registers them with the (deduplicated) tfjs-core instance when imported, so that is the
 * reference set. On top of it micflow overrides, deliberately and always:
 * - BatchMatMul: tfjs's gradient multiplies with transpose flags, which the wasm backend runs slowly (60% of a U-Net
 *   step in profiles); on wasm this one transposes explicitly and then multiplies. Elsewhere (the oneDNN native
 *   backend reads transposed operands in place) it multiplies with transpose flags and copies nothing.
 * - Tile: tfjs's gradient sums slices with one loop nest per rank and throws above rank 4 (so 5D NDHWC volumes could
 *   not be tiled under a gradient); this one works for every rank, see {@link tileGradient}.
 * - LeakyRelu: tfjs's gradient selects between dy and α·dy on the input's own shape, and the webgl backend's Select
 *   stops at rank 4 ("Where for rank 5 is not yet supported"), so no NDHWC activation could be differentiated there;
 *   this one selects on flat views, see {@link leakyReluGradient}.
 * Kernels whose tfjs gradient is broken or missing on some backend (Conv2D's filter gradient on wasm, MaxPool, resize,
 * batch norm, conv3dTranspose) are not differentiated through tfjs at all: src/runtime/ops defines micflow's own ops
 * with custom gradients.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];

/** Sums `dy` over the axes along which an input of shape `shape` was broadcast, and reshapes it to `shape`. */
export function reduceToShape(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(dy.shape, shape as number[])) return dy;
  const offset = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    const j = i - offset;
    if (j < 0 || (shape[j] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, shape as number[]);
}

/** Swaps the last two axes (explicit transpose, for matMul without transpose flags). */
function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/**
 * Gradients of y = op(a) @ op(b) (op = transpose when the flag is set) by matMuls with transpose flags, no copies:
 * dA = dy @ op(b)^T, dB = op(a)^T @ dy, each written in the layout of its operand, then summed over broadcast batch axes.
 */
function matMulGradientsWithFlags(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean) {
  const [gradA, gradB] = !ta
    ? !tb
      ? [() => tf.matMul(dy, b, false, true), () => tf.matMul(a, dy, true, false)]
      : [() => tf.matMul(dy, b, false, false), () => tf.matMul(dy, a, true, false)]
    : !tb
      ? [() => tf.matMul(b, dy, false, true), () => tf.matMul(a, dy, false, false)]
      : [() => tf.matMul(b, dy, true, true), () => tf.matMul(dy, a, true, true)];
  return { a: () => reduceToShape(gradA(), a.shape), b: () => reduceToShape(gradB(), b.shape) };
}

/**
 * Gradient of y = tile(x, reps) with respect to x, for any rank: every element of x is copied to reps[a] positions
 * along each axis a, so dx sums dy over the copies. Axis by axis (only those with reps > 1), dy is viewed as
 * [before, reps[a], x.shape[a] · after] — the copies of axis a are its outermost blocks, and axes still tiled stay
 * inside `before` / `after` — and summed over the middle axis. Only rank-3 reshapes and sums of one contiguous axis,
 * so every backend runs it with its own kernels.
 */
export function tileGradient(dy: tf.Tensor, xShape: readonly number[], reps: readonly number[]): tf.Tensor {
  let g = dy;
  const shape = [...dy.shape];
  for (let a = 0; a < xShape.length; a++) {
    if (reps[a] === 1) continue;
    const before = shape.slice(0, a).reduce((p, d) => p * d, 1);
    const after = shape.slice(a + 1).reduce((p, d) => p * d, 1);
    g = tf.sum(tf.reshape(g, [before, reps[a], xShape[a] * after]), 1);
    shape[a] = xShape[a];
  }
  return tf.reshape(g, xShape as number[]);
}

/**
 * Gradient of y = leakyRelu(x, α) with respect to x: dy where x > 0, α·dy elsewhere, the very values of tfjs's own
 * gradient (the same comparison, multiply and select), computed on rank-1 views of x and dy so that every backend's
 * Select takes it whatever the rank (reshapes move no data on cpu, wasm and native).
 */
export function leakyReluGradient(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  const flatDy = tf.reshape(dy, [dy.size]);
  const flatX = tf.reshape(x, [x.size]);
  return tf.reshape(tf.where(tf.greater(flatX, 0), flatDy, tf.mul(flatDy, alpha)), x.shape);
}

/** Gradients micflow registers over tfjs's own (see the module comment for why each). */
export const micflowGradientOverrides: readonly tf.GradConfig[] = [
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as Saved;
      const g = dy as tf.Tensor;
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
      if (tf.getBackend() !== 'wasm') return matMulGradientsWithFlags(g, a, b, ta, tb);
      const aOp = ta ? swapLastTwo(a) : a; // the operands as multiplied: y = aOp @ bOp
      const bOp = tb ? swapLastTwo(b) : b;
      return {
        a: () => {
          const dAOp = tf.matMul(g, swapLastTwo(bOp)); // dy @ bOp^T
          return reduceToShape(ta ? swapLastTwo(dAOp) : dAOp, a.shape);
        },
        b: () => {
          const dBOp = tf.matMul(swapLastTwo(aOp), g); // aOp^T @ dy
          return reduceToShape(tb ? swapLastTwo(dBOp) : dBOp, b.shape);
        },
      };
    },
  },
  {
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as Saved;
      return { x: () => tileGradient(dy as tf.Tensor, x.shape, attrs.reps as number[]) };
    },
  },
  {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as Saved;
      return { x: () => leakyReluGradient(dy as tf.Tensor, x, attrs.alpha as number) };
    },
  },
];

for (const config of micflowGradientOverrides) tf.registerGradient(config);
