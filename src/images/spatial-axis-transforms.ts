import { MicflowError } from '../errors/micflow-error.js';

/** A channels-last array: `shape` is the spatial size followed by the channel count. */
export interface ChannelsLastArray<T extends Float32Array | Int32Array = Float32Array> {
  readonly data: T;
  readonly shape: readonly number[];
}

/**
 * Reverses the given spatial axes of a channels-last array (the channel axis is never flipped). Its own inverse.
 * Used by test-time augmentation (mirroring, as nnU-Net's `use_mirroring`).
 */
export function flipSpatialAxes<T extends Float32Array | Int32Array>(array: ChannelsLastArray<T>, axes: readonly number[]): ChannelsLastArray<T> {
  const spatialRank = array.shape.length - 1;
  for (const axis of axes) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= spatialRank) {
      throw new MicflowError('invalid-argument', `flip: axis ${axis} is not a spatial axis of shape ${array.shape.join('×')}`);
    }
  }
  return remap(array, array.shape.slice(0, -1).map((_, i) => i), new Set(axes));
}

/**
 * Reorders the spatial axes: output spatial axis i is input spatial axis `order[i]` (numpy's transpose on the spatial
 * axes; channels stay last). Undo with {@link inversePermutation}.
 */
export function permuteSpatialAxes<T extends Float32Array | Int32Array>(array: ChannelsLastArray<T>, order: readonly number[]): ChannelsLastArray<T> {
  const spatialRank = array.shape.length - 1;
  if (order.length !== spatialRank || [...order].sort().some((v, i) => v !== i)) {
    throw new MicflowError('invalid-argument', `transpose: ${JSON.stringify(order)} is not a permutation of the ${spatialRank} spatial axes`);
  }
  return remap(array, order, new Set());
}

/** The permutation that undoes `order` in {@link permuteSpatialAxes}. */
export function inversePermutation(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((source, i) => (inverse[source] = i));
  return inverse;
}

function remap<T extends Float32Array | Int32Array>(array: ChannelsLastArray<T>, order: readonly number[], flipped: ReadonlySet<number>): ChannelsLastArray<T> {
  const spatial = array.shape.slice(0, -1);
  const channels = array.shape[array.shape.length - 1];
  const outSpatial = order.map((a) => spatial[a]);
  const inStrides = spatial.map((_, axis) => spatial.slice(axis + 1).reduce((p, s) => p * s, 1) * channels);
  // For each output axis: how far the source offset moves per step, and where it starts.
  const step = order.map((a) => (flipped.has(a) ? -inStrides[a] : inStrides[a]));
  let base = 0;
  order.forEach((a) => flipped.has(a) && (base += (spatial[a] - 1) * inStrides[a]));
  const out = new (array.data.constructor as new (n: number) => T)(array.data.length);
  const index = new Array<number>(outSpatial.length).fill(0);
  let source = base;
  const voxels = outSpatial.reduce((p, s) => p * s, 1);
  for (let v = 0, target = 0; v < voxels; v++, target += channels) {
    for (let k = 0; k < channels; k++) out[target + k] = array.data[source + k];
    for (let axis = outSpatial.length - 1; axis >= 0; axis--) {
      source += step[axis];
      if (++index[axis] < outSpatial[axis]) break;
      source -= step[axis] * outSpatial[axis];
      index[axis] = 0;
    }
  }
  return { data: out, shape: [...outSpatial, channels] };
}
