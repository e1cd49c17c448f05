/** Small n×n matrices (row-major number arrays) for building the linear part of affine index maps. */

export function identityMatrix(n: number): number[] {
  return Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));
}

export function multiplyMatrices(n: number, left: readonly number[], right: readonly number[]): number[] {
  const out = new Array<number>(n * n).fill(0);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) for (let k = 0; k < n; k++) out[r * n + c] += left[r * n + k] * right[k * n + c];
  return out;
}

/**
 * Rotation by `radians` in the plane of axes `first` and `second`: (first, second) components become
 * (cos·f − sin·s, sin·f + cos·s).
 */
export function planeRotation(n: number, first: number, second: number, radians: number): number[] {
  const m = identityMatrix(n);
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  m[first * n + first] = c;
  m[first * n + second] = -s;
  m[second * n + first] = s;
  m[second * n + second] = c;
  return m;
}

/** Shear: component `first` gains `factor` × component `second`. */
export function planeShear(n: number, first: number, second: number, factor: number): number[] {
  const m = identityMatrix(n);
  m[first * n + second] = factor;
  return m;
}

/** Uniform scale of the axes listed (others untouched). */
export function axesScale(n: number, axes: readonly number[], factor: number): number[] {
  const m = identityMatrix(n);
  for (const a of axes) m[a * n + a] = factor;
  return m;
}
