import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './native-addon.js';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: MathBackendCPU; attrs?: tf.NamedAttrMap };
/** A native kernel: returns its output, or undefined to hand the call to the cpu backend's kernel. */
export type NativeKernel = (args: KernelArgs, addon: NativeAddon) => Info | Info[] | undefined;

const { backend_util, util } = tf;

/**
 * A tensor's storage as the addon reads it. A float32 tensor is not always stored in a Float32Array: tfjs's cpu Cast
 * from int32 to float32 (also the implicit upcast of `tf.equal(int32Labels, 1)` or `tf.mul(int32, 0.5)`) shares the
 * int32 tensor's Int32Array, since no value changes. The addon would read those int32 bits as floats (1 → 1.4e-45), so
 * such storage is copied into a Float32Array here (not in place: the int32 tensor shares it).
 */
function values(backend: MathBackendCPU, t: Info): Float32Array {
  const stored = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32' && !(stored instanceof Float32Array)) {
    return Float32Array.from(stored as ArrayLike<number>);
  }
  return stored as Float32Array;
}
/**
 * Storage for a data-movement kernel, which copies 4-byte elements whatever the dtype: float32 as {@link values} gives
 * it, int32 as an Int32Array (tfjs's cpu OneHot stores its int32 output in a Float32Array), other dtypes as stored.
 */
function storedElements(backend: MathBackendCPU, t: Info): Float32Array {
  if (t.dtype === 'float32') return values(backend, t);
  const stored = backend.data.get(t.dataId).values;
  if (t.dtype === 'int32' && !(stored instanceof Int32Array)) return Int32Array.from(stored as ArrayLike<number>) as unknown as Float32Array;
  return stored as Float32Array;
}
function bytes(backend: MathBackendCPU, t: Info): Uint8Array {
  return backend.data.get(t.dataId).values as Uint8Array;
}
/** A backend that recycles the float32 buffers of disposed tensors (see NativeBackend). */
interface BufferPool {
  allocateFloat32(length: number): Float32Array;
}

/**
 * A new output tensor and its storage. Float32 storage comes from the backend's pool when it has one, so it is NOT
 * zeroed: every kernel here writes each element of its output.
 */
function output(backend: MathBackendCPU, shape: number[], dtype: 'float32' | 'bool' = 'float32'): { info: Info; data: Float32Array } {
  const size = util.sizeFromShape(shape);
  const pool = backend as unknown as Partial<BufferPool>;
  // A bool output is a Uint8Array; the addon takes either, so both are typed as Float32Array here.
  const data =
    dtype === 'bool'
      ? (new Uint8Array(size) as unknown as Float32Array)
      : pool.allocateFloat32
        ? pool.allocateFloat32(size)
        : new Float32Array(size);
  return { info: backend.makeTensorInfo(shape, dtype, data), data };
}
/**
 * Storage for a data-movement kernel's output of `dtype`: pooled (not zeroed) for float32, like {@link output}, a fresh
 * array otherwise. The caller writes every element.
 */
function movedOutput(backend: MathBackendCPU, shape: number[], dtype: tf.DataType): { info: Info; data: Float32Array } {
  if (dtype === 'float32') return output(backend, shape);
  const size = util.sizeFromShape(shape);
  const data = (dtype === 'bool' ? new Uint8Array(size) : new Int32Array(size)) as unknown as Float32Array;
  return { info: backend.makeTensorInfo(shape, dtype, data), data };
}
const allFloat = (...ts: Array<Info | undefined>) => ts.every((t) => t === undefined || t.dtype === 'float32');
const hasEmpty = (...ts: Info[]) => ts.some((t) => t.shape.some((d) => d === 0));
const contiguousStrides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
};

// ------------------------------------------------------------------------------------------------------------------
// Convolutions

/** oneDNN's output size for the pads tfjs computed; the kernel hands off to the cpu backend if they disagree. */
function padsAgree(inSizes: number[], outSizes: number[], filter: number[], strides: number[], dilations: number[], before: number[], after: number[]): boolean {
  return inSizes.every((n, i) => {
    const effective = (filter[i] - 1) * dilations[i] + 1;
    return Math.floor((n + before[i] + after[i] - effective) / strides[i]) + 1 === outSizes[i] && before[i] >= 0 && after[i] >= 0;
  });
}

interface ConvGeometry {
  strides: number[];
  dilations: number[];
  before: number[];
  after: number[];
  outShape: number[];
  inShape: number[];
  filterShape: number[];
}

function conv2dGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry | undefined {
  if (info.dataFormat !== 'channelsLast' || info.inChannels !== info.filterShape[2]) return undefined;
  const g = {
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    before: [info.padInfo.top, info.padInfo.left],
    after: [info.padInfo.bottom, info.padInfo.right],
    outShape: info.outShape,
    inShape: info.inShape,
    filterShape: info.filterShape,
  };
  const ok = padsAgree([info.inHeight, info.inWidth], [info.outHeight, info.outWidth], [info.filterHeight, info.filterWidth], g.strides, g.dilations, g.before, g.after);
  return ok ? g : undefined;
}

function conv3dGeometry(info: tf.backend_util.Conv3DInfo): ConvGeometry | undefined {
  if (info.dataFormat !== 'channelsLast' || info.inChannels !== info.filterShape[3]) return undefined;
  const g = {
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilations: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    before: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    after: [info.padInfo.back, info.padInfo.bottom, info.padInfo.right],
    outShape: info.outShape,
    inShape: info.inShape,
    filterShape: info.filterShape,
  };
  const ok = padsAgree(
    [info.inDepth, info.inHeight, info.inWidth], [info.outDepth, info.outHeight, info.outWidth],
    [info.filterDepth, info.filterHeight, info.filterWidth], g.strides, g.dilations, g.before, g.after,
  );
  return ok ? g : undefined;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 1, relu6: 2, elu: 3, sigmoid: 4 };

function convForward(
  backend: MathBackendCPU, addon: NativeAddon, x: Info, filter: Info, g: ConvGeometry | undefined,
  bias?: Info, activation = 'linear', alpha = 0,
): Info | undefined {
  if (!g || !allFloat(x, filter, bias) || hasEmpty(x, filter)) return undefined;
  const outChannels = filter.shape[filter.shape.length - 1];
  if (bias && util.sizeFromShape(bias.shape) !== outChannels) return undefined;
  const code = ACTIVATIONS[activation ?? 'linear'];
  if (code === undefined) return undefined;
  const out = output(backend, g.outShape);
  addon.convForward(
    values(backend, x), x.shape, values(backend, filter), filter.shape, bias ? values(backend, bias) : null,
    g.strides, g.before, g.after, g.dilations, code, activation === 'leakyrelu' ? alpha : 0, out.data, g.outShape,
  );
  return out.info;
}

function convBackwardData(backend: MathBackendCPU, addon: NativeAddon, dy: Info, filter: Info, g: ConvGeometry | undefined): Info | undefined {
  if (!g || !allFloat(dy, filter) || hasEmpty(dy, filter)) return undefined;
  const out = output(backend, g.inShape);
  addon.convBackwardData(values(backend, dy), dy.shape, values(backend, filter), filter.shape, g.strides, g.before, g.after, g.dilations, out.data, g.inShape);
  return out.info;
}

function convBackwardWeights(backend: MathBackendCPU, addon: NativeAddon, x: Info, dy: Info, g: ConvGeometry | undefined): Info | undefined {
  if (!g || !allFloat(x, dy) || hasEmpty(x, dy)) return undefined;
  const out = output(backend, g.filterShape);
  addon.convBackwardWeights(values(backend, x), x.shape, values(backend, dy), dy.shape, g.strides, g.before, g.after, g.dilations, out.data, g.filterShape, null);
  return out.info;
}

/**
 * Kernel name of the native-only filter-and-bias gradient of a 2D or 3D convolution: inputs {x, dy}, attrs as
 * Conv2DBackpropFilter's / Conv3DBackpropFilterV2's (strides, pad, filterShape, dilations); outputs [dw, db], db being
 * dy summed over every axis but channels, computed by oneDNN in the same pass as dw.
 */
export const NATIVE_CONV_BACKPROP_FILTER_BIAS = 'MicflowConvBackpropFilterBias';

export const convBackpropFilterBias: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const g =
    x.shape.length === 4
      ? conv2dGeometry(conv2dInfo(x.shape, filterShape, { ...attrs, dataFormat: 'NHWC' }, attrs.dilations as [number, number]))
      : conv3dGeometry(conv3dInfo(x.shape, filterShape, attrs, attrs.dilations as [number, number, number]));
  if (!g || !allFloat(x, dy) || hasEmpty(x, dy) || !util.arraysEqual(g.outShape, dy.shape)) {
    throw new Error(`${NATIVE_CONV_BACKPROP_FILTER_BIAS}: needs float32 channels-last x [${x.shape}] and dy [${dy.shape}] of a convolution with filter [${filterShape}]`);
  }
  const dw = output(backend, g.filterShape);
  const db = output(backend, [filterShape[filterShape.length - 1]]);
  addon.convBackwardWeights(values(backend, x), x.shape, values(backend, dy), dy.shape, g.strides, g.before, g.after, g.dilations, dw.data, g.filterShape, db.data);
  return [dw.info, db.info];
};

const conv2dInfo = (xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dilations: number | [number, number] = 1) =>
  backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as [number, number], dilations, attrs.pad as 'same', attrs.dimRoundingMode as 'floor', false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat as 'NHWC'),
  );

const conv3dInfo = (xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dilations: number | [number, number, number] = 1) =>
  backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number], filterShape as [number, number, number, number, number],
    attrs.strides as [number, number, number], dilations, attrs.pad as 'same',
  );

export const conv2D: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convForward(backend, addon, inputs.x, inputs.filter, conv2dGeometry(conv2dInfo(inputs.x.shape, inputs.filter.shape, attrs, attrs.dilations as [number, number])));

export const fusedConv2D: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  if (inputs.preluActivationWeights) return undefined;
  const g = conv2dGeometry(conv2dInfo(inputs.x.shape, inputs.filter.shape, attrs, attrs.dilations as [number, number]));
  return convForward(backend, addon, inputs.x, inputs.filter, g, inputs.bias, attrs.activation as string, attrs.leakyreluAlpha as number);
};

export const conv2DBackpropInput: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convBackwardData(backend, addon, inputs.dy, inputs.filter, conv2dGeometry(conv2dInfo(attrs.inputShape as number[], inputs.filter.shape, attrs)));

export const conv2DBackpropFilter: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convBackwardWeights(backend, addon, inputs.x, inputs.dy, conv2dGeometry(conv2dInfo(inputs.x.shape, attrs.filterShape as number[], attrs)));

export const conv3D: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convForward(backend, addon, inputs.x, inputs.filter, conv3dGeometry(conv3dInfo(inputs.x.shape, inputs.filter.shape, attrs, attrs.dilations as [number, number, number])));

/**
 * Kernel name of the native-only fused 3D convolution: tfjs has FusedConv2D but no 3D counterpart. Inputs {x, filter,
 * bias?}, attrs as Conv3D's (strides, pad, dilations) plus FusedConv2D's activation ('linear', 'relu', 'leakyrelu',
 * 'relu6', 'elu', 'sigmoid') and leakyreluAlpha: y = activation(conv3d(x, filter) + bias) in one oneDNN call.
 */
export const NATIVE_FUSED_CONV3D = 'MicflowFusedConv3D';

export const fusedConv3D: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter, bias } = inputs;
  const g = conv3dGeometry(conv3dInfo(x.shape, filter.shape, attrs, attrs.dilations as [number, number, number]));
  const y = convForward(backend, addon, x, filter, g, bias, (attrs.activation as string | undefined) ?? 'linear', (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
  if (!y) throw new Error(`${NATIVE_FUSED_CONV3D}: needs float32 NDHWC x [${x.shape}], a DHWIO filter [${filter.shape}] and a bias of one value per output channel`);
  return y;
};

export const conv3DBackpropInputV2: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convBackwardData(backend, addon, inputs.dy, inputs.filter, conv3dGeometry(conv3dInfo(attrs.inputShape as number[], inputs.filter.shape, attrs)));

export const conv3DBackpropFilterV2: NativeKernel = ({ inputs, backend, attrs = {} }, addon) =>
  convBackwardWeights(backend, addon, inputs.x, inputs.dy, conv3dGeometry(conv3dInfo(inputs.x.shape, attrs.filterShape as number[], attrs)));

// ------------------------------------------------------------------------------------------------------------------
// Pooling

interface PoolGeometry {
  kernel: number[];
  strides: number[];
  before: number[];
  after: number[];
  inShape: number[];
  outShape: number[];
}

function pool2dGeometry(xShape: number[], attrs: tf.NamedAttrMap): PoolGeometry | undefined {
  const info = backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs.filterSize as [number, number], attrs.strides as [number, number], 1,
    attrs.pad as 'same', attrs.dimRoundingMode as 'floor',
  );
  const g = {
    kernel: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    before: [info.padInfo.top, info.padInfo.left],
    after: [info.padInfo.bottom, info.padInfo.right],
    inShape: info.inShape,
    outShape: info.outShape,
  };
  const ok = padsAgree([info.inHeight, info.inWidth], [info.outHeight, info.outWidth], g.kernel, g.strides, [1, 1], g.before, g.after);
  return ok && info.dilationHeight === 1 && info.dilationWidth === 1 ? g : undefined;
}

function pool3dGeometry(xShape: number[], attrs: tf.NamedAttrMap): PoolGeometry | undefined {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NDHWC') return undefined;
  const info = backend_util.computePool3DInfo(
    xShape as [number, number, number, number, number], attrs.filterSize as [number, number, number],
    attrs.strides as [number, number, number], 1, attrs.pad as 'same', attrs.dimRoundingMode as 'floor',
  );
  const g = {
    kernel: [info.filterDepth, info.filterHeight, info.filterWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    before: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    after: [info.padInfo.back, info.padInfo.bottom, info.padInfo.right],
    inShape: info.inShape,
    outShape: info.outShape,
  };
  const ok = padsAgree(
    [info.inDepth, info.inHeight, info.inWidth], [info.outDepth, info.outHeight, info.outWidth], g.kernel, g.strides,
    [1, 1, 1], g.before, g.after,
  );
  return ok ? g : undefined;
}

/** The padding must leave every window at least one real element, or oneDNN and tfjs disagree on empty windows. */
const windowsNonEmpty = (g: PoolGeometry) => g.before.every((p, i) => p < g.kernel[i]) && g.after.every((p, i) => p < g.kernel[i]);

function poolForwardKernel(kind: number, geometry: (shape: number[], attrs: tf.NamedAttrMap) => PoolGeometry | undefined): NativeKernel {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const { x } = inputs;
    if (!allFloat(x) || hasEmpty(x)) return undefined;
    const g = geometry(x.shape, attrs);
    if (!g || !windowsNonEmpty(g)) return undefined;
    const out = output(backend, g.outShape);
    addon.poolForward(kind, values(backend, x), x.shape, g.outShape, g.kernel, g.strides, g.before, g.after, out.data);
    return out.info;
  };
}

function poolBackwardKernel(kind: number, geometry: (shape: number[], attrs: tf.NamedAttrMap) => PoolGeometry | undefined): NativeKernel {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const { dy, input } = inputs;
    if (!allFloat(dy, input) || hasEmpty(dy, input)) return undefined;
    const g = geometry(input.shape, attrs);
    if (!g || !windowsNonEmpty(g) || !util.arraysEqual(g.outShape, dy.shape)) return undefined;
    const out = output(backend, input.shape);
    addon.poolBackward(kind, values(backend, input), input.shape, g.outShape, g.kernel, g.strides, g.before, g.after, values(backend, dy), out.data);
    return out.info;
  };
}

export const maxPool = poolForwardKernel(0, pool2dGeometry);
export const avgPool = poolForwardKernel(1, pool2dGeometry);
export const maxPoolGrad = poolBackwardKernel(0, pool2dGeometry);
export const avgPoolGrad = poolBackwardKernel(1, pool2dGeometry);
export const maxPool3D = poolForwardKernel(0, pool3dGeometry);
export const avgPool3D = poolForwardKernel(1, pool3dGeometry);
export const maxPool3DGrad = poolBackwardKernel(0, pool3dGeometry);
export const avgPool3DGrad = poolBackwardKernel(1, pool3dGeometry);

// ------------------------------------------------------------------------------------------------------------------
// Matrix products

export const batchMatMul: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { a, b } = inputs;
  if (!allFloat(a, b) || hasEmpty(a, b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ta = Boolean(attrs.transposeA);
  const tb = Boolean(attrs.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  let outer: number[];
  if (batchA === 1) outer = outerB.length >= outerA.length ? outerB : outerA;
  else if (batchB === 1) outer = outerA.length >= outerB.length ? outerA : outerB;
  else if (util.arraysEqual(outerA, outerB)) outer = outerA;
  else return undefined;
  if (util.sizeFromShape(outer) !== Math.max(batchA, batchB)) return undefined;
  const out = output(backend, [...outer, m, n]);
  addon.matmul(values(backend, a), batchA, values(backend, b), batchB, m, k, n, ta ? 1 : 0, tb ? 1 : 0, out.data);
  return out.info;
};

// ------------------------------------------------------------------------------------------------------------------
// Elementwise

/** Strides of `shape` seen as an operand broadcast to `outShape`: 0 on broadcast axes. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((d, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j];
  });
}

function binaryKernel(op: number, outDtype: 'float32' | 'bool'): NativeKernel {
  return ({ inputs, backend }, addon) => {
    const { a, b } = inputs;
    if (!allFloat(a, b)) return undefined;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = output(backend, outShape, outDtype);
    if (out.data.length === 0) return out.info;
    addon.binary(op, values(backend, a), broadcastStrides(a.shape, outShape), values(backend, b), broadcastStrides(b.shape, outShape), out.data, outShape);
    return out.info;
  };
}

export const add = binaryKernel(0, 'float32');
export const sub = binaryKernel(1, 'float32');
export const multiply = binaryKernel(2, 'float32');
export const realDiv = binaryKernel(3, 'float32');
export const maximum = binaryKernel(4, 'float32');
export const minimum = binaryKernel(5, 'float32');
export const squaredDifference = binaryKernel(6, 'float32');
export const greater = binaryKernel(10, 'bool');
export const greaterEqual = binaryKernel(11, 'bool');
export const less = binaryKernel(12, 'bool');
export const lessEqual = binaryKernel(13, 'bool');
export const equal = binaryKernel(14, 'bool');
export const notEqual = binaryKernel(15, 'bool');

function unaryKernel(op: number, alphaOf: (attrs: tf.NamedAttrMap) => number = () => 0): NativeKernel {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const { x } = inputs;
    if (!allFloat(x)) return undefined;
    const out = output(backend, x.shape);
    if (out.data.length) addon.unary(op, values(backend, x), out.data, alphaOf(attrs));
    return out.info;
  };
}

export const leakyRelu = unaryKernel(0, (attrs) => attrs.alpha as number);
export const relu = unaryKernel(1);
export const neg = unaryKernel(2);
export const square = unaryKernel(3);
export const rsqrt = unaryKernel(4);
export const sqrt = unaryKernel(5);
export const exp = unaryKernel(6);
export const log = unaryKernel(7);
export const abs = unaryKernel(8);
export const sigmoid = unaryKernel(9);
export const tanh = unaryKernel(10);
export const sign = unaryKernel(11);

export const cast: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (x.dtype !== 'bool' || attrs.dtype !== 'float32') return undefined;
  const out = output(backend, x.shape);
  if (out.data.length) addon.unary(12, bytes(backend, x), out.data, 0);
  return out.info;
};

export const select: NativeKernel = ({ inputs, backend }, addon) => {
  const { condition, t, e } = inputs;
  if (!allFloat(t, e) || condition.dtype !== 'bool') return undefined;
  if (!util.arraysEqual(condition.shape, t.shape) || !util.arraysEqual(t.shape, e.shape)) return undefined;
  const out = output(backend, t.shape);
  if (out.data.length) addon.select(bytes(backend, condition), values(backend, t), values(backend, e), out.data);
  return out.info;
};

// ------------------------------------------------------------------------------------------------------------------
// Reductions over one contiguous run of axes

function reductionKernel(op: number, axisAttr: string): NativeKernel {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const { x } = inputs;
    if (!allFloat(x) || hasEmpty(x) || x.shape.length === 0) return undefined;
    const axes = util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return undefined;
    const first = axes[0];
    const last = axes[axes.length - 1];
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const reduced = util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = util.sizeFromShape(x.shape.slice(last + 1));
    const outShape = attrs.keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const out = output(backend, outShape);
    addon.reduce(op, values(backend, x), outer, reduced, inner, out.data);
    return out.info;
  };
}

export const sum = reductionKernel(0, 'axis');
export const mean = reductionKernel(1, 'axis');
export const max = reductionKernel(2, 'reductionIndices');
export const min = reductionKernel(3, 'axis');

/** ArgMax over the last axis of a float32 tensor, by tfjs cpu's rule (int32 indices, ties to the first); other axes go to the cpu kernel. */
export const argMax: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!allFloat(x) || hasEmpty(x) || x.shape.length === 0) return undefined;
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  if (axes.length !== 1 || axes[0] !== x.shape.length - 1) return undefined;
  const classes = x.shape[x.shape.length - 1];
  const out = movedOutput(backend, x.shape.slice(0, -1), 'int32');
  addon.argMaxRows(values(backend, x), util.sizeFromShape(x.shape) / classes, classes, out.data as unknown as Int32Array);
  return out.info;
};

// ------------------------------------------------------------------------------------------------------------------
// Softmax

/**
 * Softmax over the last axis, numerically stable (Bridle 1990; subtract the row maximum before exponentiating), as four
 * addon passes: row max, subtract-and-store, exp in place, row sum, divide in place. The cpu backend's kernel runs
 * the same steps in JavaScript and was the single most expensive kernel of a UNet2D training step.
 */
export const softmax: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { logits } = inputs;
  if (!allFloat(logits) || hasEmpty(logits) || logits.shape.length === 0) return undefined;
  const rank = logits.shape.length;
  const dim = (attrs.dim as number | undefined) ?? -1;
  if (dim !== -1 && dim !== rank - 1) return undefined;
  const classes = logits.shape[rank - 1];
  const rows = util.sizeFromShape(logits.shape) / classes;
  const rowShape = [rows, classes];
  const perRow = [1, 0];
  const own = [classes, 1];
  const rowValues = new Float32Array(rows);
  const x = values(backend, logits);
  const out = output(backend, logits.shape);
  addon.reduce(2, x, rows, classes, 1, rowValues);
  addon.binary(1, x, own, rowValues, perRow, out.data, rowShape);
  addon.unary(6, out.data, out.data, 0);
  addon.reduce(0, out.data, rows, classes, 1, rowValues);
  addon.binary(3, out.data, own, rowValues, perRow, out.data, rowShape);
  return out.info;
};

// ------------------------------------------------------------------------------------------------------------------
// Data movement

const fourByte = (t: Info) => t.dtype === 'float32' || t.dtype === 'int32';

export const slice: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!fourByte(x) && x.dtype !== 'bool') return undefined;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  const strides = contiguousStrides(x.shape);
  const offset = begin.reduce((acc, b, i) => acc + b * strides[i], 0);
  const out = movedOutput(backend, size, x.dtype);
  if (out.data.length) addon.gather(storedElements(backend, x), size, size.length ? strides : [], offset, out.data);
  return out.info;
};

export const splitV: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!fourByte(x)) return undefined;
  const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
  const strides = contiguousStrides(x.shape);
  const source = storedElements(backend, x);
  let at = 0;
  return sizes.map((size) => {
    const shape = x.shape.map((d, i) => (i === axis ? size : d));
    const out = movedOutput(backend, shape, x.dtype);
    if (out.data.length) addon.gather(source, shape, strides, at * strides[axis], out.data);
    at += size;
    return out.info;
  });
};

export const reverse: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!fourByte(x)) return undefined;
  const dims = util.parseAxisParam(attrs.dims as number[], x.shape);
  const own = contiguousStrides(x.shape);
  const strides = own.map((s, i) => (dims.includes(i) ? -s : s));
  const offset = dims.reduce((acc, d) => acc + (x.shape[d] - 1) * own[d], 0);
  const out = movedOutput(backend, x.shape, x.dtype);
  if (out.data.length) addon.gather(storedElements(backend, x), x.shape, strides, offset, out.data);
  return out.info;
};

export const transpose: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!fourByte(x) && x.dtype !== 'bool') return undefined;
  const perm = attrs.perm as number[];
  const strides = contiguousStrides(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const out = movedOutput(backend, outShape, x.dtype);
  if (out.data.length) addon.gather(storedElements(backend, x), outShape, perm.map((p) => strides[p]), 0, out.data);
  return out.info;
};

export const padV2: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  if (!allFloat(x) || hasEmpty(x)) return undefined;
  const paddings = attrs.paddings as Array<[number, number]>;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = output(backend, outShape);
  addon.fill(out.data, (attrs.constantValue as number) ?? 0);
  const strides = contiguousStrides(outShape);
  const offset = paddings.reduce((acc, p, i) => acc + p[0] * strides[i], 0);
  addon.scatter(values(backend, x), x.shape, out.data, strides, offset);
  return out.info;
};

export const concat: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const parts = Object.values(inputs);
  if (parts.length === 0 || !parts.every(fourByte) || !parts.every((p) => p.dtype === parts[0].dtype)) return undefined;
  const axis = util.parseAxisParam(attrs.axis as number, parts[0].shape)[0];
  const outShape = backend_util.computeOutShape(parts.map((p) => p.shape), axis);
  const out = movedOutput(backend, outShape, parts[0].dtype);
  const strides = contiguousStrides(outShape);
  let at = 0;
  for (const p of parts) {
    if (util.sizeFromShape(p.shape) > 0) addon.scatter(storedElements(backend, p), p.shape, out.data, strides, at * strides[axis]);
    at += p.shape[axis];
  }
  return out.info;
};

// ------------------------------------------------------------------------------------------------------------------
// Batch normalisation (micflow's own kernels, which tfjs does not have: see src/runtime/ops/batch-norm.ts)

/** Kernel names of the native-only batch-norm kernels; channels last, everything but the last axis is one batch. */
export const NATIVE_CHANNEL_MOMENTS = 'MicflowChannelMoments';
export const NATIVE_CHANNEL_AFFINE = 'MicflowChannelAffine';
export const NATIVE_BATCH_NORM_GRAD = 'MicflowBatchNormGrad';

const channelsOf = (t: Info) => t.shape[t.shape.length - 1];
const rowsOf = (t: Info) => util.sizeFromShape(t.shape) / channelsOf(t);
const channelVector = (t: Info, channels: number) => t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels;

/** {x} -> [mean, biased variance], each [C], in one pass over x. */
export const channelMoments: NativeKernel = ({ inputs, backend }, addon) => {
  const { x } = inputs;
  if (!allFloat(x) || hasEmpty(x) || x.shape.length < 1) throw new Error(`${NATIVE_CHANNEL_MOMENTS}: needs a non-empty float32 tensor`);
  const channels = channelsOf(x);
  const mean = output(backend, [channels]);
  const variance = output(backend, [channels]);
  addon.channelMoments(values(backend, x), rowsOf(x), channels, mean.data, variance.data);
  return [mean.info, variance.info];
};

/** The `leakyReluAlpha` attribute of the batch-norm kernels: a slope >= 0 fuses a leaky ReLU (0: ReLU), absent none. */
function fusedLeakyReluAlpha(kernel: string, attrs: tf.NamedAttrMap | undefined): number | null {
  const alpha = attrs?.leakyReluAlpha;
  if (alpha === undefined || alpha === null) return null;
  if (typeof alpha !== 'number' || !(alpha >= 0)) throw new Error(`${kernel}: leakyReluAlpha must be a number >= 0, got ${String(alpha)}`);
  return alpha;
}

/**
 * {x, scale, shift} -> x * scale + shift, per channel (last axis), in one pass; with attribute `leakyReluAlpha`
 * followed by a leaky ReLU of that slope in the same pass.
 */
export const channelAffine: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, scale, shift } = inputs;
  const channels = channelsOf(x);
  if (!allFloat(x) || !channelVector(scale, channels) || !channelVector(shift, channels)) {
    throw new Error(`${NATIVE_CHANNEL_AFFINE}: needs float32 x and per-channel scale and shift`);
  }
  const alpha = fusedLeakyReluAlpha(NATIVE_CHANNEL_AFFINE, attrs);
  const y = output(backend, x.shape);
  if (y.data.length) addon.channelAffine(values(backend, x), rowsOf(x), channels, values(backend, scale), values(backend, shift), y.data, alpha);
  return y.info;
};

/**
 * {dy, x, mean, rstd, gamma} -> [dx, dgamma, dbeta] of training-mode batch norm, in two passes. With input `y` (the
 * fused batch norm + leaky ReLU's output) and attribute `leakyReluAlpha`, the gradient of that composition.
 */
export const batchNormGrad: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { dy, x, mean, rstd, gamma, y } = inputs;
  const channels = channelsOf(x);
  if (!allFloat(dy, x) || !util.arraysEqual(dy.shape, x.shape) || hasEmpty(x) || ![mean, rstd, gamma].every((t) => channelVector(t, channels))) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: needs float32 dy and x of one shape and per-channel mean, rstd and gamma`);
  }
  const alpha = fusedLeakyReluAlpha(NATIVE_BATCH_NORM_GRAD, attrs);
  if ((y === undefined) !== (alpha === null) || (y && (!allFloat(y) || !util.arraysEqual(y.shape, x.shape)))) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: the fused activation needs both the float32 output y (shape of x) and leakyReluAlpha`);
  }
  const dx = output(backend, x.shape);
  const dgamma = output(backend, [channels]);
  const dbeta = output(backend, [channels]);
  addon.batchNormBackward(
    values(backend, dy), values(backend, x), rowsOf(x), channels, values(backend, mean), values(backend, rstd),
    values(backend, gamma), dx.data, dgamma.data, dbeta.data, y ? values(backend, y) : null, alpha ?? 1,
  );
  return [dx.info, dgamma.info, dbeta.info];
};

/**
 * Kernel name of the native-only Adam step: inputs {x, gradient, m, v} (float32, one shape), attrs {lr, beta1, beta2,
 * eps, weightDecay, step}; outputs [x', m', v'] by PyTorch's rule (see the addon's adamUpdate), in one pass.
 */
export const NATIVE_ADAM_UPDATE = 'MicflowAdamUpdate';

export const adamUpdate: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, gradient, m, v } = inputs;
  if (!allFloat(x, gradient, m, v) || ![gradient, m, v].every((t) => util.arraysEqual(t.shape, x.shape))) {
    throw new Error(`${NATIVE_ADAM_UPDATE}: needs float32 x, gradient, m and v of one shape`);
  }
  const { lr, beta1, beta2, eps, weightDecay, step } = attrs as Record<string, number>;
  const xOut = output(backend, x.shape);
  const mOut = output(backend, x.shape);
  const vOut = output(backend, x.shape);
  if (xOut.data.length) {
    addon.adamUpdate(
      values(backend, x), values(backend, gradient), values(backend, m), values(backend, v), lr, beta1, beta2, eps, weightDecay,
      1 - beta1 ** step, 1 - beta2 ** step, xOut.data, mOut.data, vOut.data,
    );
  }
  return [xOut.info, mOut.info, vOut.info];
};

/**
 * Kernel name of the native-only batch-norm folding for inference: inputs {kernel [..., C], bias, gamma, beta, mean,
 * variance} (float32, the vectors [C]), attr {epsilon}; outputs [kernel · s, (bias − mean) · s + β] with
 * s = γ / sqrt(variance + ε) (see foldedConvBatchNorm in src/runtime/ops/conv-batch-norm-activation.ts).
 */
export const NATIVE_FOLD_CONV_BATCH_NORM = 'MicflowFoldConvBatchNorm';

export const foldConvBatchNormKernel: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { kernel, bias, gamma, beta, mean, variance } = inputs;
  const channels = kernel.shape[kernel.shape.length - 1];
  if (!allFloat(kernel, bias, gamma, beta, mean, variance) || ![bias, gamma, beta, mean, variance].every((t) => channelVector(t, channels))) {
    throw new Error(`${NATIVE_FOLD_CONV_BATCH_NORM}: needs a float32 kernel [..., C] and five float32 vectors of C`);
  }
  const outKernel = output(backend, kernel.shape);
  const outBias = output(backend, [channels]);
  addon.foldConvBatchNorm(
    values(backend, kernel), values(backend, bias), values(backend, gamma), values(backend, beta), values(backend, mean), values(backend, variance),
    attrs.epsilon as number, outKernel.data, outBias.data,
  );
  return [outKernel.info, outBias.info];
};

/**
 * Kernel names of the native-only dropout pair. MicflowDropout: input {x} (float32), attrs {state (the Uint32Array of
 * a SeededRandom's four xoshiro128** words, advanced in place by x.size draws), threshold (p · 2³²), keep (1 / (1 −
 * p))}; outputs [y, kept]: y = x · mask bit for bit as tf.mul(x, mask) with SeededRandom.fillKeepMask's mask, kept
 * the bool mask. MicflowMaskedScale: inputs {dy, kept}, attrs {keep}; output dy · (kept ? keep : 0).
 */
export const NATIVE_DROPOUT = 'MicflowDropout';
export const NATIVE_MASKED_SCALE = 'MicflowMaskedScale';

export const dropoutKernel: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  const state = attrs.state as unknown as Uint32Array;
  if (!allFloat(x) || !(state instanceof Uint32Array) || state.length !== 4) {
    throw new Error(`${NATIVE_DROPOUT}: needs float32 x and the four words of a xoshiro128** state`);
  }
  const y = output(backend, x.shape);
  const kept = output(backend, x.shape, 'bool');
  addon.dropoutForward(state, values(backend, x), attrs.threshold as number, attrs.keep as number, y.data, kept.data as unknown as Uint8Array);
  return [y.info, kept.info];
};

export const maskedScaleKernel: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { dy, kept } = inputs;
  if (!allFloat(dy) || kept.dtype !== 'bool' || !util.arraysEqual(dy.shape, kept.shape)) {
    throw new Error(`${NATIVE_MASKED_SCALE}: needs float32 dy and a bool mask of its shape`);
  }
  const dx = output(backend, dy.shape);
  addon.maskedScale(values(backend, dy), bytes(backend, kept), attrs.keep as number, dx.data);
  return dx.info;
};

/**
 * Kernel name of the native-only sum of squares over any number of float32 tensors (inputs named t0, t1, ...): a
 * float32 scalar, accumulated in double in one addon call. Not differentiable (no gradient is registered).
 */
export const NATIVE_SUM_OF_SQUARES = 'MicflowSumOfSquares';

export const sumOfSquaresKernel: NativeKernel = ({ inputs, backend }, addon) => {
  const tensors = Object.values(inputs);
  if (!allFloat(...tensors)) throw new Error(`${NATIVE_SUM_OF_SQUARES}: needs float32 tensors`);
  const total = addon.sumOfSquares(tensors.map((t) => values(backend, t)));
  const out = output(backend, []);
  out.data[0] = total;
  return out.info;
};

/**
 * Kernel name of the native-only small-loss mask: inputs {values [rows, pixels], k [rows, 1]} (float32), output the
 * float32 0/1 mask of the floor(k) smallest values per row, equal values in index order (see
 * src/stages/selection/small-loss-selection.ts). One partial sort per row instead of a full TopK sort in JavaScript.
 */
export const NATIVE_SMALLEST_COUNT_MASK = 'MicflowSmallestCountMask';

export const smallestCountMaskKernel: NativeKernel = ({ inputs, backend }, addon) => {
  const { values: v, k } = inputs;
  if (!allFloat(v, k) || v.shape.length !== 2 || util.sizeFromShape(k.shape) !== v.shape[0]) {
    throw new Error(`${NATIVE_SMALLEST_COUNT_MASK}: needs float32 values [rows, pixels] and k [rows, 1]`);
  }
  const out = output(backend, v.shape);
  if (out.data.length) addon.smallestCountMask(values(backend, v), v.shape[0], v.shape[1], values(backend, k), out.data);
  return out.info;
};

/**
 * Kernel name of the native-only sparse linear map along one axis: input {x} (float32), attrs {axis, outSize, taps,
 * index (Int32Array), weight (Float32Array)}; row r of the map has `taps` (index, weight) pairs at r * taps. The output
 * has x's shape with `axis` resized to outSize. See src/runtime/ops/separable-linear-map.ts.
 */
export const NATIVE_AXIS_MAP = 'MicflowAxisMap';

export const axisMap: NativeKernel = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  const axis = attrs.axis as number;
  const outSize = attrs.outSize as number;
  const taps = attrs.taps as number;
  const index = attrs.index as unknown as Int32Array;
  const weight = attrs.weight as unknown as Float32Array;
  if (!allFloat(x) || !(axis >= 0 && axis < x.shape.length) || index.length !== outSize * taps || weight.length !== outSize * taps) {
    throw new Error(`${NATIVE_AXIS_MAP}: needs float32 x [${x.shape}], an axis within it and ${outSize} x ${taps} taps`);
  }
  const outShape = x.shape.map((d, i) => (i === axis ? outSize : d));
  const out = output(backend, outShape);
  if (out.data.length) {
    const outer = util.sizeFromShape(x.shape.slice(0, axis));
    const inner = util.sizeFromShape(x.shape.slice(axis + 1));
    addon.axisMap(values(backend, x), outer, x.shape[axis], inner, index, weight, taps, outSize, out.data);
  }
  return out.info;
};

/** Whether the current tfjs backend is micflow's native one (it alone registers the native-only kernels below). */
export function onNativeBackend(): boolean {
  return tf.getKernel(NATIVE_CHANNEL_MOMENTS, tf.getBackend()) !== undefined;
}

/** Kernels only the native backend has (no cpu counterpart to fall back to), by name. */
export const nativeOnlyKernels: ReadonlyArray<[string, NativeKernel]> = [
  [NATIVE_CHANNEL_MOMENTS, channelMoments],
  [NATIVE_CHANNEL_AFFINE, channelAffine],
  [NATIVE_BATCH_NORM_GRAD, batchNormGrad],
  [NATIVE_FUSED_CONV3D, fusedConv3D],
  [NATIVE_ADAM_UPDATE, adamUpdate],
  [NATIVE_CONV_BACKPROP_FILTER_BIAS, convBackpropFilterBias],
  [NATIVE_AXIS_MAP, axisMap],
  [NATIVE_SUM_OF_SQUARES, sumOfSquaresKernel],
  [NATIVE_SMALLEST_COUNT_MASK, smallestCountMaskKernel],
  [NATIVE_DROPOUT, dropoutKernel],
  [NATIVE_FOLD_CONV_BATCH_NORM, foldConvBatchNormKernel],
  [NATIVE_MASKED_SCALE, maskedScaleKernel],
];

/** The kernels the native backend runs itself, by tfjs kernel name. */
export const nativeKernels: ReadonlyArray<[string, NativeKernel]> = [
  [tf.Conv2D, conv2D],
  [tf.FusedConv2D, fusedConv2D],
  [tf.Conv2DBackpropInput, conv2DBackpropInput],
  [tf.Conv2DBackpropFilter, conv2DBackpropFilter],
  [tf.Conv3D, conv3D],
  [tf.Conv3DBackpropInputV2, conv3DBackpropInputV2],
  [tf.Conv3DBackpropFilterV2, conv3DBackpropFilterV2],
  [tf.MaxPool, maxPool],
  [tf.AvgPool, avgPool],
  [tf.MaxPoolGrad, maxPoolGrad],
  [tf.AvgPoolGrad, avgPoolGrad],
  [tf.MaxPool3D, maxPool3D],
  [tf.AvgPool3D, avgPool3D],
  [tf.MaxPool3DGrad, maxPool3DGrad],
  [tf.AvgPool3DGrad, avgPool3DGrad],
  [tf.BatchMatMul, batchMatMul],
  [tf.Add, add],
  [tf.Sub, sub],
  [tf.Multiply, multiply],
  [tf.RealDiv, realDiv],
  [tf.Maximum, maximum],
  [tf.Minimum, minimum],
  [tf.SquaredDifference, squaredDifference],
  [tf.Greater, greater],
  [tf.GreaterEqual, greaterEqual],
  [tf.Less, less],
  [tf.LessEqual, lessEqual],
  [tf.Equal, equal],
  [tf.NotEqual, notEqual],
  [tf.LeakyRelu, leakyRelu],
  [tf.Relu, relu],
  [tf.Neg, neg],
  [tf.Square, square],
  [tf.Rsqrt, rsqrt],
  [tf.Sqrt, sqrt],
  [tf.Exp, exp],
  [tf.Log, log],
  [tf.Abs, abs],
  [tf.Sigmoid, sigmoid],
  [tf.Tanh, tanh],
  [tf.Sign, sign],
  [tf.Cast, cast],
  [tf.Select, select],
  [tf.Sum, sum],
  [tf.Mean, mean],
  [tf.Max, max],
  [tf.Min, min],
  [tf.Softmax, softmax],
  [tf.ArgMax, argMax],
  [tf.Slice, slice],
  [tf.Transpose, transpose],
  [tf.SplitV, splitV],
  [tf.Reverse, reverse],
  [tf.PadV2, padV2],
  [tf.Concat, concat],
];
