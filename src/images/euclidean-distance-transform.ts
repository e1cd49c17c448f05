import { MicflowError } from '../errors/micflow-error.js';

/**
 * Exact squared Euclidean distance transform in physical units, for 1D, 2D or 3D grids with anisotropic spacing.
 *
 * For every grid point p it returns min over feature points q of Σ_axis (spacing_axis · (p_axis − q_axis))², i.e. the
 * squared distance in millimetres to the nearest point where `features` is non-zero (0 at feature points, +Infinity
 * everywhere when there is no feature point at all).
 *
 * Method: P. F. Felzenszwalb and D. P. Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing 8
 * (2012) 415–428. The squared distance is separable: one 1D lower-envelope-of-parabolas pass per axis, each exact,
 * O(n) per line, so the whole transform is exact (no chamfer or propagation approximation) in O(N · dimensions).
 * Spacing enters each 1D pass as the parabola width: f'(i) = min_q s²(i − q)² + f(q).
 *
 * `shape` is row-major (slowest axis first, e.g. [slices, rows, columns]); `spacing` follows the same order.
 * Values are float64 so squared distances of realistic volumes stay exact sums of s²k² terms.
 */
export function squaredEuclideanDistanceTransform(
  features: ArrayLike<number>,
  shape: readonly number[],
  spacing: readonly number[],
): Float64Array {
  checkGrid(features.length, shape, spacing);
  const total = features.length;
  const distances = new Float64Array(total);
  for (let i = 0; i < total; i++) distances[i] = features[i] ? 0 : Infinity;
  const longest = Math.max(...shape);
  const line = new Float64Array(longest);
  const output = new Float64Array(longest);
  const parabolaApex = new Int32Array(longest);
  const boundaries = new Float64Array(longest + 1);
  // Contiguous axis first: after it, lines holding no feature point are all +Infinity and are skipped cheaply.
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const length = shape[axis];
    if (length === 1) continue;
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const squaredSpacing = spacing[axis] * spacing[axis];
    const outer = total / (length * stride);
    for (let o = 0; o < outer; o++) {
      for (let inner = 0; inner < stride; inner++) {
        const start = o * length * stride + inner;
        let finite = false;
        for (let i = 0; i < length; i++) {
          const value = distances[start + i * stride];
          line[i] = value;
          if (value !== Infinity) finite = true;
        }
        if (!finite) continue;
        lowerEnvelope1d(line, length, squaredSpacing, output, parabolaApex, boundaries);
        for (let i = 0; i < length; i++) distances[start + i * stride] = output[i];
      }
    }
  }
  return distances;
}

/** {@link squaredEuclideanDistanceTransform} followed by a square root: distances in physical units. */
export function euclideanDistanceTransform(
  features: ArrayLike<number>,
  shape: readonly number[],
  spacing: readonly number[],
): Float64Array {
  const distances = squaredEuclideanDistanceTransform(features, shape, spacing);
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]);
  return distances;
}

/**
 * One 1D pass of Felzenszwalb & Huttenlocher (2012), Algorithm "DT(f)": the lower envelope of the parabolas
 * y = s²(x − q)² + f(q) over the sample points q with finite f(q), evaluated at every sample point. Points with
 * f(q) = +Infinity contribute no parabola (the paper's algorithm needs finite values; skipping them is exact).
 */
function lowerEnvelope1d(
  f: Float64Array,
  n: number,
  squaredSpacing: number,
  out: Float64Array,
  apex: Int32Array,
  boundaries: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      apex[0] = q;
      boundaries[0] = -Infinity;
      boundaries[1] = Infinity;
      continue;
    }
    const fqScaled = fq + squaredSpacing * q * q;
    let intersection: number;
    for (;;) {
      const v = apex[k];
      intersection = (fqScaled - (f[v] + squaredSpacing * v * v)) / (2 * squaredSpacing * (q - v));
      // boundaries[0] is -Infinity, so this stops at k = 0 at the latest.
      if (intersection <= boundaries[k]) k--;
      else break;
    }
    k++;
    apex[k] = q;
    boundaries[k] = intersection;
    boundaries[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let x = 0; x < n; x++) {
    while (boundaries[j + 1] < x) j++;
    const d = x - apex[j];
    out[x] = squaredSpacing * d * d + f[apex[j]];
  }
}

function checkGrid(length: number, shape: readonly number[], spacing: readonly number[]): void {
  if (shape.length < 1 || shape.length > 3 || !shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new MicflowError('invalid-shape', `distance transform: shape ${JSON.stringify(shape)} is not a 1D, 2D or 3D grid size`);
  }
  if (spacing.length !== shape.length || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new MicflowError(
      'invalid-argument',
      `distance transform: spacing ${JSON.stringify(spacing)} must hold one positive value per axis of shape ${JSON.stringify(shape)}`,
    );
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  if (length !== expected) {
    throw new MicflowError('invalid-shape', `distance transform: ${length} values do not fill a grid of shape ${shape.join('×')} (${expected})`);
  }
}
