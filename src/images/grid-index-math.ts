import { allocateLike, forEachGridPoint, pointCount, spatialStrides, type Grid, type GridData } from './grid.js';

/**
 * Cuts (and/or pads) a window: output point p takes input point p + offset, or `fill` where that lies outside the
 * input. A negative offset or an output larger than the input pads; a positive offset crops. This one kernel serves
 * Pad, CenterCrop, RandomCrop, the bounding-box crops and their inverses (offset negated, sizes swapped).
 */
export function cropOrPad<T extends GridData>(grid: Grid<T>, offset: readonly number[], outputSpatial: readonly number[], fill = 0): Grid<T> {
  const { spatial, channels } = grid;
  const n = spatial.length;
  const out = allocateLike(grid.data, pointCount(outputSpatial) * channels);
  if (fill !== 0) out.fill(fill);
  const inStrides = spatialStrides(spatial);
  const outStrides = spatialStrides(outputSpatial);
  // Overlap of the window with the input, in output coordinates; the last axis is copied as one contiguous run.
  const low = outputSpatial.map((_, a) => Math.max(0, -offset[a]));
  const high = outputSpatial.map((s, a) => Math.min(s, spatial[a] - offset[a]));
  if (low.some((l, a) => l >= high[a])) return { data: out, spatial: [...outputSpatial], channels };
  const rowLength = (high[n - 1] - low[n - 1]) * channels;
  const outerSpatial = outputSpatial.slice(0, -1).map((_, a) => high[a] - low[a]);
  forEachGridPoint(outerSpatial, (index) => {
    let source = (low[n - 1] + offset[n - 1]) * inStrides[n - 1];
    let target = low[n - 1] * outStrides[n - 1];
    for (let a = 0; a < n - 1; a++) {
      source += (index[a] + low[a] + offset[a]) * inStrides[a];
      target += (index[a] + low[a]) * outStrides[a];
    }
    out.set(grid.data.subarray(source * channels, source * channels + rowLength), target * channels);
  });
  return { data: out, spatial: [...outputSpatial], channels };
}

/** Mirrors the grid along every spatial axis whose entry in `axes` is true. */
export function flipAxes<T extends GridData>(grid: Grid<T>, axes: readonly boolean[]): Grid<T> {
  const { spatial, channels } = grid;
  const strides = spatialStrides(spatial);
  const out = allocateLike(grid.data, grid.data.length);
  forEachGridPoint(spatial, (index, point) => {
    let source = 0;
    for (let a = 0; a < spatial.length; a++) source += (axes[a] ? spatial[a] - 1 - index[a] : index[a]) * strides[a];
    for (let k = 0; k < channels; k++) out[point * channels + k] = grid.data[source * channels + k];
  });
  return { data: out, spatial: [...spatial], channels };
}

/** Permutes the spatial axes: output axis i is input axis `permutation[i]` (numpy's transpose). */
export function transposeAxes<T extends GridData>(grid: Grid<T>, permutation: readonly number[]): Grid<T> {
  const { spatial, channels } = grid;
  const inStrides = spatialStrides(spatial);
  const outSpatial = permutation.map((p) => spatial[p]);
  const strideOfOutputAxis = permutation.map((p) => inStrides[p]);
  const out = allocateLike(grid.data, grid.data.length);
  forEachGridPoint(outSpatial, (index, point) => {
    let source = 0;
    for (let a = 0; a < index.length; a++) source += index[a] * strideOfOutputAxis[a];
    for (let k = 0; k < channels; k++) out[point * channels + k] = grid.data[source * channels + k];
  });
  return { data: out, spatial: outSpatial, channels };
}

/** The permutation that undoes `permutation`. */
export function inversePermutation(permutation: readonly number[]): number[] {
  const inverse = new Array<number>(permutation.length);
  permutation.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/**
 * Rotates by `turns` quarter turns in the plane of spatial axes `first` and `second`, from `first` toward `second`,
 * exactly as numpy's `rot90(m, turns, axes=(first, second))`.
 */
export function rotate90<T extends GridData>(grid: Grid<T>, first: number, second: number, turns: number): Grid<T> {
  const k = ((turns % 4) + 4) % 4;
  const n = grid.spatial.length;
  const swap = Array.from({ length: n }, (_, a) => (a === first ? second : a === second ? first : a));
  const only = (axis: number) => Array.from({ length: n }, (_, a) => a === axis);
  if (k === 0) return { ...grid, spatial: [...grid.spatial] };
  if (k === 2) return flipAxes(grid, Array.from({ length: n }, (_, a) => a === first || a === second));
  if (k === 1) return transposeAxes(flipAxes(grid, only(second)), swap);
  return flipAxes(transposeAxes(grid, swap), only(second));
}

/** The 2D (or lower) grid at `index` along spatial `axis`. */
export function extractSlice<T extends GridData>(grid: Grid<T>, axis: number, index: number): Grid<T> {
  const { spatial } = grid;
  const offset = spatial.map((_, a) => (a === axis ? index : 0));
  const window = spatial.map((s, a) => (a === axis ? 1 : s));
  const cut = cropOrPad(grid, offset, window);
  return { data: cut.data, spatial: spatial.filter((_, a) => a !== axis), channels: grid.channels };
}

/** Places a slice back at `index` along `axis` of a grid of size `spatial`, every other value `fill`. */
export function embedSlice<T extends GridData>(slice: Grid<T>, spatial: readonly number[], axis: number, index: number, fill = 0): Grid<T> {
  const withAxis = { ...slice, spatial: spatial.map((s, a) => (a === axis ? 1 : s)) };
  return cropOrPad(withAxis, spatial.map((_, a) => (a === axis ? -index : 0)), spatial, fill);
}
