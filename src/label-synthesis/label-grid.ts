import { MicflowError } from '../errors/micflow-error.js';
import type { LabelArray } from '../images/image-array.js';
import { euclideanDistanceTransform } from '../images/euclidean-distance-transform.js';

/**
 * The grid of a 2D [H, W] or 3D [D, H, W] label map, seen as [depth, height, width] (depth 1 for 2D) so the weak-label
 * generators walk neighbourhoods and balls with one code path. Distances and radii are in pixels (grid steps), not
 * millimetres: the generators imitate an annotator's brush on the displayed grid.
 */
export interface LabelGrid {
  readonly shape: readonly number[];
  readonly depth: number;
  readonly height: number;
  readonly width: number;
  readonly total: number;
}

/** The grid of `label`, after checking that it is 2D or 3D and that its data length matches its shape. */
export function labelGridOf(label: LabelArray, where: string): LabelGrid {
  const { shape, data } = label;
  if ((shape.length !== 2 && shape.length !== 3) || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new MicflowError('invalid-shape', `${where}: expected a 2D [H, W] or 3D [D, H, W] label map, got shape [${shape.join(', ')}]`);
  }
  const total = shape.reduce((a, b) => a * b, 1);
  if (data.length !== total) {
    throw new MicflowError('invalid-shape', `${where}: label shape [${shape.join(', ')}] holds ${total} values but the data has ${data.length}`);
  }
  const [depth, height, width] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  return { shape: [...shape], depth, height, width, total };
}

/**
 * Pixel counts per class, after checking that every value is a class index in 0..classes−1.
 * @throws MicflowError('invalid-data') naming the first offending value and its position.
 */
export function classPixelCounts(label: LabelArray, classes: number, where: string): number[] {
  const counts = new Array<number>(classes).fill(0);
  const { data } = label;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v < classes)) {
      throw new MicflowError('invalid-data', `${where}: label value ${v} at index ${i} is not a class in 0..${classes - 1}`);
    }
    counts[v]++;
  }
  return counts;
}

/** [z, y, x] of a flat index. */
export function coordinatesOf(grid: LabelGrid, index: number): [number, number, number] {
  const plane = grid.height * grid.width;
  const z = Math.floor(index / plane);
  const rest = index - z * plane;
  const y = Math.floor(rest / grid.width);
  return [z, y, rest - y * grid.width];
}

/** The flat index of [z, y, x], or −1 when it lies outside the grid. */
export function indexAt(grid: LabelGrid, z: number, y: number, x: number): number {
  if (z < 0 || z >= grid.depth || y < 0 || y >= grid.height || x < 0 || x >= grid.width) return -1;
  return (z * grid.height + y) * grid.width + x;
}

/** An offset [dz, dy, dx] with its Euclidean length. */
export interface GridOffset {
  readonly dz: number;
  readonly dy: number;
  readonly dx: number;
  readonly length: number;
}

/** The neighbours of full connectivity (8 in 2D, 26 in 3D), with their step lengths 1, √2 (and √3). */
export function fullNeighbourOffsets(grid: LabelGrid): GridOffset[] {
  return ballOffsets(grid, Math.sqrt(3)).filter((o) => o.length > 0 && Math.max(Math.abs(o.dz), Math.abs(o.dy), Math.abs(o.dx)) === 1);
}

/** The offsets of the digital Euclidean ball of `radius` (|offset| ≤ radius, centre included), in raster order. */
export function ballOffsets(grid: LabelGrid, radius: number): GridOffset[] {
  const reach = Math.floor(radius + 1e-9);
  const zReach = grid.depth > 1 ? reach : 0;
  const out: GridOffset[] = [];
  for (let dz = -zReach; dz <= zReach; dz++)
    for (let dy = -reach; dy <= reach; dy++)
      for (let dx = -reach; dx <= reach; dx++) {
        const length = Math.sqrt(dz * dz + dy * dy + dx * dx);
        if (length <= radius + 1e-9) out.push({ dz, dy, dx, length });
      }
  return out;
}

/** Calls `visit` with the flat index of every point of `offsets` around `centre` that lies inside the grid. */
export function forEachOffsetPoint(grid: LabelGrid, centre: number, offsets: readonly GridOffset[], visit: (index: number, offset: GridOffset) => void): void {
  const [z, y, x] = coordinatesOf(grid, centre);
  for (const offset of offsets) {
    const index = indexAt(grid, z + offset.dz, y + offset.dy, x + offset.dx);
    if (index >= 0) visit(index, offset);
  }
}

/**
 * Euclidean distance in pixels from every point to the nearest point where `features` is non-zero (0 on features,
 * +Infinity everywhere when there is none), by the exact transform of src/metrics.
 */
export function distanceToFeatures(features: ArrayLike<number>, grid: LabelGrid): Float64Array {
  return euclideanDistanceTransform(features, grid.shape, grid.shape.map(() => 1));
}

/** Whether the point lies on the grid's outer faces (the depth axis counts only for a 3D grid). */
export function onGridBorder(grid: LabelGrid, index: number): boolean {
  const [z, y, x] = coordinatesOf(grid, index);
  return (grid.depth > 1 && (z === 0 || z === grid.depth - 1)) || y === 0 || y === grid.height - 1 || x === 0 || x === grid.width - 1;
}
