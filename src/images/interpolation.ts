import { allocateLike, forEachGridPoint, pointCount, spatialStrides, type Grid, type GridData } from './grid.js';

/** How values between grid points are read: linear (bi-/trilinear) for intensities and probabilities, nearest for labels. */
export type Interpolation = 'linear' | 'nearest';

/**
 * An affine map from output index coordinates to input index coordinates, as an n×(n+1) row-major matrix
 * [A | t]: input = A · output + t. Index coordinates put grid point i at i (point centres).
 */
export type IndexAffine = readonly number[];

/**
 * Resamples `grid` at given input positions: `positions` holds n index coordinates per output point (row-major over
 * `outputSpatial`). Positions within half a point of the input's edge read the edge (so resizes keep edge values, as
 * scipy's zoom with grid_mode=True, mode='nearest'); positions farther out read `fill` (nearest) or blend toward it
 * (linear), like scipy.ndimage.map_coordinates with mode='constant'. Labels must use 'nearest'.
 */
export function resampleAtPositions<T extends GridData>(
  grid: Grid<T>,
  outputSpatial: readonly number[],
  positions: Float64Array,
  interpolation: Interpolation,
  fill = 0,
): Grid<T> {
  const { spatial, channels, data } = grid;
  const n = spatial.length;
  const strides = spatialStrides(spatial);
  const points = pointCount(outputSpatial);
  const out = allocateLike(data, points * channels);
  const corners = 1 << n;
  const low = new Int32Array(n);
  const fraction = new Float64Array(n);
  for (let point = 0; point < points; point++) {
    const o = point * channels;
    if (interpolation === 'nearest') {
      let source = 0;
      for (let a = 0; a < n; a++) {
        const x = positions[point * n + a];
        if (!(x >= -0.5 && x <= spatial[a] - 0.5)) {
          source = -1;
          break;
        }
        source += Math.min(spatial[a] - 1, Math.floor(x + 0.5)) * strides[a];
      }
      if (source < 0) for (let k = 0; k < channels; k++) out[o + k] = fill;
      else for (let k = 0, s = source * channels; k < channels; k++) out[o + k] = data[s + k];
      continue;
    }
    for (let a = 0; a < n; a++) {
      let x = positions[point * n + a];
      // Within half a point of the edge the edge value is read (the point's own footprint); farther out blends to `fill`.
      if (x < 0 && x >= -0.5) x = 0;
      else if (x > spatial[a] - 1 && x <= spatial[a] - 0.5) x = spatial[a] - 1;
      const f = Math.floor(x);
      low[a] = f;
      fraction[a] = x - f;
    }
    if (n === 3 && low[0] >= 0 && low[1] >= 0 && low[2] >= 0 && low[0] < spatial[0] - 1 && low[1] < spatial[1] - 1 && low[2] < spatial[2] - 1) {
      // Interior trilinear: all eight neighbours exist.
      const [fz, fy, fx] = fraction;
      const s000 = (low[0] * strides[0] + low[1] * strides[1] + low[2]) * channels;
      const dz = strides[0] * channels;
      const dy = strides[1] * channels;
      for (let k = 0; k < channels; k++) {
        const b = s000 + k;
        const c00 = data[b] + fx * (data[b + channels] - data[b]);
        const c01 = data[b + dy] + fx * (data[b + dy + channels] - data[b + dy]);
        const c10 = data[b + dz] + fx * (data[b + dz + channels] - data[b + dz]);
        const c11 = data[b + dz + dy] + fx * (data[b + dz + dy + channels] - data[b + dz + dy]);
        const c0 = c00 + fy * (c01 - c00);
        out[o + k] = c0 + fz * (c10 + fy * (c11 - c10) - c0);
      }
      continue;
    }
    for (let k = 0; k < channels; k++) out[o + k] = 0;
    for (let corner = 0; corner < corners; corner++) {
      let weight = 1;
      let source = 0;
      for (let a = 0; a < n; a++) {
        const upper = (corner >> a) & 1;
        weight *= upper ? fraction[a] : 1 - fraction[a];
        const i = low[a] + upper;
        if (source >= 0) source = i < 0 || i >= spatial[a] ? -1 : source + i * strides[a];
      }
      if (weight === 0) continue;
      if (source < 0) for (let k = 0; k < channels; k++) out[o + k] += weight * fill;
      else for (let k = 0, s = source * channels; k < channels; k++) out[o + k] += weight * data[s + k];
    }
  }
  return { data: out, spatial: [...outputSpatial], channels };
}

/** The input positions of an affine index map (see {@link IndexAffine}) for every point of `outputSpatial`. */
export function affinePositions(outputSpatial: readonly number[], affine: IndexAffine): Float64Array {
  const n = outputSpatial.length;
  const positions = new Float64Array(pointCount(outputSpatial) * n);
  forEachGridPoint(outputSpatial, (index, point) => {
    for (let r = 0; r < n; r++) {
      let v = affine[r * (n + 1) + n];
      for (let c = 0; c < n; c++) v += affine[r * (n + 1) + c] * index[c];
      positions[point * n + r] = v;
    }
  });
  return positions;
}

/** Resamples through an affine index map (see {@link IndexAffine}). */
export function resampleAffine<T extends GridData>(
  grid: Grid<T>,
  outputSpatial: readonly number[],
  affine: IndexAffine,
  interpolation: Interpolation,
  fill = 0,
): Grid<T> {
  return resampleAtPositions(grid, outputSpatial, affinePositions(outputSpatial, affine), interpolation, fill);
}

/**
 * The index map of a resize from `inputSpatial` to `outputSpatial` with point centres aligned at the half-pixel
 * corners (torch's align_corners=False, scipy's zoom with grid_mode=True): input = (output + ½)·in/out − ½.
 */
export function resizeAffine(inputSpatial: readonly number[], outputSpatial: readonly number[]): number[] {
  const n = inputSpatial.length;
  const m = new Array<number>(n * (n + 1)).fill(0);
  for (let a = 0; a < n; a++) {
    const scale = inputSpatial[a] / outputSpatial[a];
    m[a * (n + 1) + a] = scale;
    m[a * (n + 1) + n] = 0.5 * scale - 0.5;
  }
  return m;
}

/** Inverse of an affine index map (Gauss–Jordan on the homogeneous (n+1)×(n+1) matrix). */
export function invertAffine(affine: IndexAffine, n: number): number[] {
  const size = n + 1;
  const a = Array.from({ length: size }, (_, r) =>
    Array.from({ length: 2 * size }, (_, c) => (c < size ? (r < n ? affine[r * size + c] : c === n ? 1 : 0) : c - size === r ? 1 : 0)),
  );
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12) throw new RangeError('affine map is singular');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const p = a[col][col];
    for (let c = 0; c < 2 * size; c++) a[col][c] /= p;
    for (let r = 0; r < size; r++) {
      if (r === col || a[r][col] === 0) continue;
      const f = a[r][col];
      for (let c = 0; c < 2 * size; c++) a[r][c] -= f * a[col][c];
    }
  }
  const out: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < size; c++) out.push(a[r][size + c]);
  return out;
}

/**
 * The index map of a rotation/scale/shear about the grid centre, keeping the size: `linear` is the n×n matrix
 * taking an output offset from the centre to an input offset from the centre.
 */
export function centredAffine(spatial: readonly number[], linear: readonly number[]): number[] {
  const n = spatial.length;
  const centre = spatial.map((s) => (s - 1) / 2);
  const m: number[] = [];
  for (let r = 0; r < n; r++) {
    let t = centre[r];
    for (let c = 0; c < n; c++) {
      m.push(linear[r * n + c]);
      t -= linear[r * n + c] * centre[c];
    }
    m.push(t);
  }
  return m;
}
