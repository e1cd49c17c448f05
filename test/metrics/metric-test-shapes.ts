/** Hand-made masks for metric tests: row-major grids, 1 inside the shape. */

/** A 2D mask with the axis-aligned rectangle [y0, y1) × [x0, x1) set. */
export function rectangleMask(height: number, width: number, y0: number, y1: number, x0: number, x1: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * width + x] = 1;
  return mask;
}

/** A 3D mask with the box [z0, z1) × [y0, y1) × [x0, x1) set. */
export function boxMask(shape: readonly [number, number, number], low: readonly number[], high: readonly number[]): Uint8Array {
  const [d, h, w] = shape;
  const mask = new Uint8Array(d * h * w);
  for (let z = low[0]; z < high[0]; z++) for (let y = low[1]; y < high[1]; y++) for (let x = low[2]; x < high[2]; x++) mask[(z * h + y) * w + x] = 1;
  return mask;
}

/** A 3D mask of the voxels whose centre lies within `radius` (physical units) of `centre` (voxel coordinates). */
export function ballMask(shape: readonly number[], centre: readonly number[], radius: number, spacing: readonly number[] = [1, 1, 1]): Uint8Array {
  const [d, h, w] = shape;
  const mask = new Uint8Array(d * h * w);
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const r2 = ((z - centre[0]) * spacing[0]) ** 2 + ((y - centre[1]) * spacing[1]) ** 2 + ((x - centre[2]) * spacing[2]) ** 2;
        if (r2 <= radius * radius) mask[(z * h + y) * w + x] = 1;
      }
    }
  }
  return mask;
}

/** A 2D mask of the pixels whose centre lies within `radius` of `centre` ([row, column]). */
export function discMask(height: number, width: number, centre: readonly number[], radius: number, spacing: readonly number[] = [1, 1]): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (((y - centre[0]) * spacing[0]) ** 2 + ((x - centre[1]) * spacing[1]) ** 2 <= radius * radius) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Coordinates (row-major order) of every non-zero entry. */
export function nonZeroCoordinates(mask: ArrayLike<number>, shape: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const c: number[] = [];
    let rest = i;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      c.unshift(rest % shape[axis]);
      rest = Math.floor(rest / shape[axis]);
    }
    out.push(c);
  }
  return out;
}

/** Brute force: for every point in `from`, the distance to the nearest point in `to` (physical units). */
export function bruteForceNearestDistances(from: number[][], to: number[][], spacing: readonly number[]): number[] {
  return from.map((p) => {
    let best = Infinity;
    for (const q of to) {
      let s = 0;
      for (let a = 0; a < p.length; a++) s += ((p[a] - q[a]) * spacing[a]) ** 2;
      if (s < best) best = s;
    }
    return Math.sqrt(best);
  });
}

/** Deterministic pseudo-random mask (a small LCG), density about `density`. */
export function pseudoRandomMask(length: number, density: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    mask[i] = state / 2 ** 32 < density ? 1 : 0;
  }
  return mask;
}
