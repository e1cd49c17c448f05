/** An axis-aligned box of grid points: `start` inclusive, `end` exclusive, per spatial axis. */
export interface BoundingBox {
  readonly start: number[];
  readonly end: number[];
}

/**
 * The smallest box holding every grid point for which `inside(point)` is true, or undefined when none is.
 * `spatial` is the grid size; points are row-major indices.
 */
export function boundingBoxWhere(spatial: readonly number[], inside: (point: number) => boolean): BoundingBox | undefined {
  const n = spatial.length;
  const start = spatial.map((s) => s);
  const end = spatial.map(() => 0);
  const index = new Array<number>(n).fill(0);
  const total = spatial.reduce((a, b) => a * b, 1);
  let found = false;
  for (let point = 0; point < total; point++) {
    if (inside(point)) {
      found = true;
      for (let a = 0; a < n; a++) {
        if (index[a] < start[a]) start[a] = index[a];
        if (index[a] + 1 > end[a]) end[a] = index[a] + 1;
      }
    }
    for (let a = n - 1; a >= 0; a--) {
      if (++index[a] < spatial[a]) break;
      index[a] = 0;
    }
  }
  return found ? { start, end } : undefined;
}
