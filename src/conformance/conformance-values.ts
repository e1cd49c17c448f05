/**
 * The numbers the kernel conformance checks feed and compare: reproducible inputs independent of any backend, and
 * the one error measure every check reports.
 */

/** Reproducible values in [-1, 1) from a small LCG, independent of any backend. */
export function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (2 * s) / 2 ** 32 - 1;
  }
  return out;
}

/** The number of elements of a tensor of this shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** max |a - e| / max(|e|, 1e-3): a norm-relative error (Infinity for a length mismatch or a NaN). */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  let scale = 1e-3;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return worst / scale;
}
