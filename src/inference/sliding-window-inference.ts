import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';
import { gaussianImportanceMap } from '../images/gaussian-importance-map.js';
import type { BatchLogits } from './network-logits.js';
import { spatialShapeOf, type ProbabilityMap } from './probability-map.js';
import { slidingWindowStarts } from '../images/sliding-window-positions.js';
import { softmaxChannelsLastInPlace } from '../images/softmax-channels-last.js';

export interface SlidingWindowOptions {
  /** Spatial window size, one entry per spatial axis ([H, W] or [D, H, W]). */
  readonly windowSize: readonly number[];
  /** Largest distance between consecutive window starts per axis; default window·(1 − overlap). */
  readonly stride?: readonly number[];
  /** Fraction of a window shared with its neighbour when no stride is given; default 0.5 (nnU-Net, MONAI). */
  readonly overlap?: number;
  /** Windows run through the network together; default 1. */
  readonly batchSize?: number;
  /** 'gaussian' (sigma = window/8, nnU-Net and MONAI) or 'constant' (plain average of overlapping windows). */
  readonly weighting?: 'gaussian' | 'constant';
}

/**
 * Sliding-window inference for 2D or 3D images (Isensee et al., "nnU-Net", Nature Methods 2021; MONAI's
 * `sliding_window_inference`): windows placed by {@link slidingWindowStarts} cover the image; each window's softmax
 * probabilities are multiplied by an importance map and summed into a float32 accumulator together with the weights,
 * and the result is the weighted average per voxel. An image smaller than the window along an axis is zero-padded at
 * the end of that axis and the result cropped back.
 *
 * Memory stays bounded for whole 3D volumes: only `batchSize` windows are tensors at any time (each batch runs in its
 * own tf.tidy), and the accumulators are one Float32Array of voxels × classes plus one of voxels.
 */
export function predictSlidingWindow(logits: BatchLogits, image: ImageArray, options: SlidingWindowOptions): ProbabilityMap {
  const { spatial, channels } = spatialShapeOf(image, 'sliding-window inference');
  const window = [...options.windowSize];
  if (window.length !== spatial.length || !window.every((w) => Number.isInteger(w) && w >= 1)) {
    throw new MicflowError('invalid-argument', `sliding window: window size ${JSON.stringify(window)} does not fit a ${spatial.length}D image of size ${spatial.join('×')}`);
  }
  const overlap = options.overlap ?? 0.5;
  if (!(overlap >= 0 && overlap < 1)) throw new MicflowError('invalid-argument', `sliding window: overlap ${overlap} must be in [0, 1)`);
  const stride = options.stride ? [...options.stride] : window.map((w) => Math.max(1, Math.floor(w * (1 - overlap))));
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MicflowError('invalid-argument', `sliding window: batch size ${batchSize} must be a positive integer`);

  const padded = spatial.map((s, i) => Math.max(s, window[i]));
  const source = padded.every((s, i) => s === spatial[i]) ? image.data : padSpatialEnd(image.data, spatial, padded, channels);
  const starts = cartesianProduct(padded.map((s, i) => slidingWindowStarts(s, window[i], stride[i])));
  const weights = options.weighting === 'constant' ? new Float32Array(product(window)).fill(1) : gaussianImportanceMap(window);
  const paddedStrides = rowMajorStrides(padded);
  const windowVoxels = product(window);
  const rowLength = window[window.length - 1];
  const rowsPerWindow = windowVoxels / rowLength;
  // Offset (in voxels) of each window row relative to the window's first voxel in the padded grid.
  const rowOffsets = new Int32Array(rowsPerWindow);
  {
    const index = new Array<number>(window.length - 1).fill(0);
    for (let r = 0; r < rowsPerWindow; r++) {
      rowOffsets[r] = index.reduce((sum, c, axis) => sum + c * paddedStrides[axis], 0);
      for (let axis = window.length - 2; axis >= 0; axis--) {
        if (++index[axis] < window[axis]) break;
        index[axis] = 0;
      }
    }
  }

  const paddedVoxels = product(padded);
  const weightSum = new Float32Array(paddedVoxels);
  let accumulator: Float32Array | undefined;
  let classes = 0;
  for (let first = 0; first < starts.length; first += batchSize) {
    const batch = starts.slice(first, first + batchSize);
    const input = new Float32Array(batch.length * windowVoxels * channels);
    const corners = batch.map((start) => start.reduce((sum, s, axis) => sum + s * paddedStrides[axis], 0));
    corners.forEach((corner, b) => {
      for (let r = 0; r < rowsPerWindow; r++) {
        const from = (corner + rowOffsets[r]) * channels;
        input.set(source.subarray(from, from + rowLength * channels), (b * windowVoxels + r * rowLength) * channels);
      }
    });
    // tf.tidy returns the logits tensor only: handed a typed array, it would walk every element looking for tensors.
    const output = tf.tidy(() => {
      const result = logits(tf.tensor(input, [batch.length, ...window, channels], 'float32'));
      const expected = [batch.length, ...window];
      if (result.rank !== expected.length + 1 || expected.some((s, i) => result.shape[i] !== s)) {
        throw new MicflowError('invalid-shape', `sliding window: the network returned shape ${result.shape.join('×')} for windows ${expected.join('×')}×${channels}`);
      }
      return result;
    });
    classes = output.shape[output.rank - 1];
    let probabilities: Float32Array;
    try {
      probabilities = Float32Array.from(output.dataSync() as Float32Array);
    } finally {
      output.dispose();
    }
    softmaxChannelsLastInPlace(probabilities, classes);
    accumulator ??= new Float32Array(paddedVoxels * classes);
    corners.forEach((corner, b) => {
      for (let r = 0; r < rowsPerWindow; r++) {
        const voxel = corner + rowOffsets[r];
        for (let x = 0; x < rowLength; x++) {
          const w = weights[r * rowLength + x];
          const target = (voxel + x) * classes;
          const from = ((b * windowVoxels) + r * rowLength + x) * classes;
          for (let k = 0; k < classes; k++) accumulator![target + k] += w * probabilities[from + k];
          weightSum[voxel + x] += w;
        }
      }
    });
  }
  const result = accumulator!;
  for (let v = 0; v < paddedVoxels; v++) {
    const inverse = 1 / weightSum[v];
    for (let k = 0; k < classes; k++) result[v * classes + k] *= inverse;
  }
  const data = padded.every((s, i) => s === spatial[i]) ? result : cropSpatial(result, padded, spatial, classes);
  return { data, shape: [...spatial, classes] };
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

function rowMajorStrides(shape: readonly number[]): number[] {
  return shape.map((_, axis) => product(shape.slice(axis + 1)));
}

function cartesianProduct(lists: number[][]): number[][] {
  return lists.reduce<number[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

/** Copies a channels-last array into a larger zero grid (the original at the low corner). */
function padSpatialEnd(data: Float32Array, spatial: readonly number[], padded: readonly number[], channels: number): Float32Array {
  const out = new Float32Array(product(padded) * channels);
  copyRows(data, spatial, out, padded, spatial, channels);
  return out;
}

/** The low-corner `spatial` part of a channels-last array on the `padded` grid. */
function cropSpatial(data: Float32Array, padded: readonly number[], spatial: readonly number[], channels: number): Float32Array {
  const out = new Float32Array(product(spatial) * channels);
  copyRows(data, padded, out, spatial, spatial, channels);
  return out;
}

/** Copies the low-corner `region` of a channels-last array on `sourceShape` into one on `targetShape`, row by row. */
function copyRows(
  source: Float32Array,
  sourceShape: readonly number[],
  target: Float32Array,
  targetShape: readonly number[],
  region: readonly number[],
  channels: number,
): void {
  const sourceStrides = rowMajorStrides(sourceShape);
  const targetStrides = rowMajorStrides(targetShape);
  const rowLength = region[region.length - 1];
  const rows = product(region) / rowLength;
  const index = new Array<number>(region.length - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    const from = index.reduce((s, c, a) => s + c * sourceStrides[a], 0) * channels;
    const to = index.reduce((s, c, a) => s + c * targetStrides[a], 0) * channels;
    target.set(source.subarray(from, from + rowLength * channels), to);
    for (let axis = region.length - 2; axis >= 0; axis--) {
      if (++index[axis] < region[axis]) break;
      index[axis] = 0;
    }
  }
}
