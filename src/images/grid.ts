import type { ImageArray, LabelArray } from './image-array.js';

/** Values of a grid: float intensities / probabilities, or integer class indices. */
export type GridData = Float32Array | Int32Array;

/**
 * A channels-last array seen as a spatial grid: `spatial` is the size per spatial axis (2 or 3 of them), `channels`
 * the number of values per grid point (1 for a label map). `data` is row-major with the channel fastest.
 */
export interface Grid<T extends GridData = GridData> {
  readonly data: T;
  readonly spatial: readonly number[];
  readonly channels: number;
}

/** An image [...spatial, C] as a grid. */
export function imageGrid(image: ImageArray): Grid<Float32Array> {
  return { data: image.data, spatial: image.shape.slice(0, -1), channels: image.shape[image.shape.length - 1] };
}

/** A label map [...spatial] as a one-channel grid. */
export function labelGrid(label: LabelArray): Grid<Int32Array> {
  return { data: label.data, spatial: label.shape.slice(), channels: 1 };
}

export function gridToImage(grid: Grid<Float32Array>): ImageArray {
  return { data: grid.data, shape: [...grid.spatial, grid.channels] };
}

export function gridToLabel(grid: Grid<Int32Array>): LabelArray {
  return { data: grid.data, shape: [...grid.spatial] };
}

/** Number of grid points (product of the spatial sizes). */
export function pointCount(spatial: readonly number[]): number {
  return spatial.reduce((n, s) => n * s, 1);
}

/** Row-major strides in grid points (not values) for each spatial axis. */
export function spatialStrides(spatial: readonly number[]): number[] {
  const strides = new Array<number>(spatial.length);
  let stride = 1;
  for (let axis = spatial.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= spatial[axis];
  }
  return strides;
}

/** A zero-filled array of the same type as `like`, `length` values long. */
export function allocateLike<T extends GridData>(like: T, length: number): T {
  return new (like.constructor as new (n: number) => T)(length);
}

/** Resolves a possibly negative axis index (-1 = last spatial axis) against `dimension` spatial axes. */
export function resolveAxis(axis: number, dimension: number): number {
  const resolved = axis < 0 ? dimension + axis : axis;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= dimension) {
    throw new RangeError(`axis ${axis} does not exist in a grid with ${dimension} spatial axes`);
  }
  return resolved;
}

/** Calls `visit(index, point)` for every grid point in row-major order; `index` is reused between calls. */
export function forEachGridPoint(spatial: readonly number[], visit: (index: readonly number[], point: number) => void): void {
  const n = spatial.length;
  const total = pointCount(spatial);
  const index = new Array<number>(n).fill(0);
  for (let point = 0; point < total; point++) {
    visit(index, point);
    for (let axis = n - 1; axis >= 0; axis--) {
      if (++index[axis] < spatial[axis]) break;
      index[axis] = 0;
    }
  }
}
