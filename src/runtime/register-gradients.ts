/**
 * Gradients for the tfjs kernels micflow differentiates through.
 *
 * `@tensorflow/tfjs-core` registers no gradient functions by itself: the union package `@tensorflow/tfjs` does it by
 * importing `@tensorflow/tfjs-core/dist/register_all_gradients`, an ES-module file with extension-less imports that
 * Node cannot load. Without this module every tf.grad / tf.variableGrads fails with "gradient function not found".
 * Importing this module (a side effect) registers the gradients below for each kernel that has none yet, so an
 * install that does have tfjs's own keeps them.
 *
 * The gradients use explicit transposes instead of matMul transpose flags (slow on wasm). Kernels whose tfjs gradient
 * is broken or missing on wasm (Conv2D, MaxPool, ResizeBilinear, FusedBatchNorm) are deliberately not here: micflow
 * differentiates them through its own ops in src/runtime/ops, which define custom gradients.
 */
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];
type Attrs = tf.NamedAttrMap;
type GradientMap = ReturnType<tf.GradFunc>;

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

/** Reduction axes as non-negative indices; null/undefined means every axis. */
function axesOf(axis: unknown, shape: number[]): number[] {
  if (axis == null) return shape.map((_, i) => i);
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + shape.length : a));
}

/** `dy` of a reduction over `axes` reshaped so that it broadcasts against the input. */
function keepDimsShape(inputShape: number[], axes: number[]): number[] {
  return inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function broadcastLike(dy: tf.Tensor, inputShape: number[], axes: number[]): tf.Tensor {
  return tf.mul(tf.reshape(dy, keepDimsShape(inputShape, axes)), tf.ones(inputShape));
}

/** Swaps the last two axes (explicit transpose, for matMul without transpose flags). */
function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

const binary = (
  kernelName: string,
  da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as Saved;
    return {
      a: () => reduceToShape(da(dy as tf.Tensor, a, b), a.shape),
      b: () => reduceToShape(db(dy as tf.Tensor, a, b), b.shape),
    };
  },
});

const unary = (kernelName: string, dx: (dy: tf.Tensor, x: tf.Tensor, attrs: Attrs) => tf.Tensor): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => ({ x: () => dx(dy as tf.Tensor, (saved as Saved)[0], attrs) }),
});

const unaryFromOutput = (kernelName: string, dx: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.GradConfig => ({
  kernelName,
  outputsToSave: [true],
  gradFunc: (dy, saved) => ({ x: () => dx(dy as tf.Tensor, (saved as Saved)[0]) }),
});

const float = (t: tf.Tensor) => tf.cast(t, 'float32');

export const micflowGradientConfigs: readonly tf.GradConfig[] = [
  binary(tf.Add, (dy) => dy, (dy) => dy),
  binary(tf.Sub, (dy) => dy, (dy) => tf.neg(dy)),
  binary(tf.Multiply, (dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a)),
  binary(
    tf.RealDiv,
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  ),
  // Ties go to `a`, like tfjs and like PyTorch's first-maximum rule when `a` is the earlier element.
  binary(tf.Maximum, (dy, a, b) => tf.mul(dy, float(tf.greaterEqual(a, b))), (dy, a, b) => tf.mul(dy, float(tf.less(a, b)))),
  binary(tf.Minimum, (dy, a, b) => tf.mul(dy, float(tf.lessEqual(a, b))), (dy, a, b) => tf.mul(dy, float(tf.greater(a, b)))),
  binary(
    tf.SquaredDifference,
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)),
  ),
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => (saved as Saved).map(() => () => (dy as tf.Tensor).clone()) as unknown as GradientMap,
  },
  unary(tf.Neg, (dy) => tf.neg(dy)),
  unary(tf.Identity, (dy) => dy.clone()),
  unary(tf.Cast, (dy) => tf.cast(dy, 'float32')),
  unary(tf.Square, (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  unary(tf.Abs, (dy, x) => tf.mul(dy, tf.sign(x))),
  unary(tf.Log, (dy, x) => tf.div(dy, x)),
  unary(tf.Rsqrt, (dy, x) => tf.mul(dy, tf.mul(tf.div(tf.rsqrt(x), x), -0.5))),
  unaryFromOutput(tf.Sqrt, (dy, y) => tf.div(dy, tf.mul(y, 2))),
  unaryFromOutput(tf.Exp, (dy, y) => tf.mul(dy, y)),
  unaryFromOutput(tf.Sigmoid, (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryFromOutput(tf.Tanh, (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  unary(tf.Relu, (dy, x) => tf.mul(dy, float(tf.greater(x, 0)))),
  unary(tf.LeakyRelu, (dy, x, attrs) => {
    const alpha = attrs.alpha as number;
    return tf.mul(dy, tf.add(tf.mul(float(tf.greater(x, 0)), 1 - alpha), alpha));
  }),
  unary(tf.ClipByValue, (dy, x, attrs) => {
    const inside = tf.logicalAnd(
      tf.greaterEqual(x, attrs.clipValueMin as number),
      tf.lessEqual(x, attrs.clipValueMax as number),
    );
    return tf.mul(dy, float(inside));
  }),
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved as Saved;
      const dim = attrs.dim as number;
      const g = dy as tf.Tensor;
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
    },
  },
  unary(tf.Sum, (dy, x, attrs) => broadcastLike(dy, x.shape, axesOf(attrs.axis, x.shape))),
  unary(tf.Mean, (dy, x, attrs) => {
    const axes = axesOf(attrs.axis, x.shape);
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    return tf.div(broadcastLike(dy, x.shape, axes), count);
  }),
  {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as Saved;
      const axes = axesOf(attrs.reductionIndices, x.shape);
      const kept = keepDimsShape(x.shape, axes);
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, kept), float(tf.equal(x, tf.reshape(y, kept)))) };
    },
  },
  unary(tf.Reshape, (dy, x) => tf.reshape(dy, x.shape)),
  unary(tf.Transpose, (dy, _x, attrs) => {
    const perm = attrs.perm as number[];
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return tf.transpose(dy, inverse);
  }),
  unary(tf.Slice, (dy, x, attrs) => {
    const begin = typeof attrs.begin === 'number' ? x.shape.map(() => attrs.begin as number) : (attrs.begin as number[]);
    const size = typeof attrs.size === 'number' ? x.shape.map(() => attrs.size as number) : (attrs.size as number[]);
    const paddings = x.shape.map((d, i): [number, number] => {
      const b = begin[i] ?? 0;
      const s = size[i] === undefined || size[i] === -1 ? d - b : size[i];
      return [b, d - b - s];
    });
    return tf.pad(dy, paddings);
  }),
  unary(tf.PadV2, (dy, x, attrs) => {
    const paddings = attrs.paddings as Array<[number, number]>;
    return tf.slice(dy, paddings.map((p) => p[0]), x.shape);
  }),
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const inputs = saved as Saved;
      const axis = axesOf(attrs.axis, inputs[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, inputs.map((t) => t.shape[axis]), axis);
      return parts.map((p) => () => p) as unknown as GradientMap;
    },
  },
  {
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const [condition] = saved as Saved;
      const g = dy as tf.Tensor;
      return {
        condition: () => tf.zeros(condition.shape),
        t: () => tf.mul(g, float(condition)),
        e: () => tf.mul(g, float(tf.logicalNot(condition))),
      };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as Saved;
      const g = dy as tf.Tensor;
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
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
];

/** Registers each of {@link micflowGradientConfigs} whose kernel has no gradient yet. Idempotent. */
export function registerMissingGradients(): string[] {
  const registered: string[] = [];
  for (const config of micflowGradientConfigs) {
    if (tf.getGradient(config.kernelName) == null) {
      tf.registerGradient(config);
      registered.push(config.kernelName);
    }
  }
  return registered;
}

registerMissingGradients();
