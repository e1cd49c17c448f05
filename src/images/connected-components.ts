import { MicflowError } from '../errors/micflow-error.js';

/** 'face': 4-connectivity in 2D, 6 in 3D. 'full': 8 in 2D, 26 in 3D (faces, edges and corners). */
export type Connectivity = 'face' | 'full';

export interface ConnectedComponents {
  /** Component id per voxel: 0 outside the mask, 1..count inside, numbered in raster order of their first voxel. */
  readonly components: Int32Array;
  /** Voxel count per component id (index 0 unused, 0). */
  readonly sizes: number[];
  /** Whether each component touches the grid border (index 0 unused). */
  readonly touchesBorder: boolean[];
}

/**
 * Connected components of a binary mask (non-zero = inside) on a 2D or 3D row-major grid, by breadth-first flood fill
 * (A. Rosenfeld, J. L. Pfaltz, "Sequential operations in digital picture processing", JACM 1966 — the same labelling
 * as scipy.ndimage.label with the matching structure).
 */
export function labelConnectedComponents(mask: ArrayLike<number>, shape: readonly number[], connectivity: Connectivity = 'face'): ConnectedComponents {
  const total = shape.reduce((a, b) => a * b, 1);
  if (mask.length !== total || (shape.length !== 2 && shape.length !== 3)) {
    throw new MicflowError('invalid-shape', `connected components: ${mask.length} values on a ${shape.join('×')} grid (2D or 3D expected)`);
  }
  const [depth, height, width] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const offsets: Array<[number, number, number]> = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const steps = Math.abs(dz) + Math.abs(dy) + Math.abs(dx);
        if (steps === 0 || (depth === 1 && dz !== 0)) continue;
        if (connectivity === 'face' && steps > 1) continue;
        offsets.push([dz, dy, dx]);
      }
    }
  }
  const components = new Int32Array(total);
  const sizes = [0];
  const touchesBorder = [false];
  const queue = new Int32Array(total);
  const plane = height * width;
  for (let seed = 0; seed < total; seed++) {
    if (!mask[seed] || components[seed]) continue;
    const id = sizes.length;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    components[seed] = id;
    let size = 0;
    let border = false;
    while (head < tail) {
      const index = queue[head++];
      size++;
      const z = Math.floor(index / plane);
      const y = Math.floor((index - z * plane) / width);
      const x = index - z * plane - y * width;
      if ((depth > 1 && (z === 0 || z === depth - 1)) || y === 0 || y === height - 1 || x === 0 || x === width - 1) border = true;
      for (const [dz, dy, dx] of offsets) {
        const nz = z + dz;
        const ny = y + dy;
        const nx = x + dx;
        if (nz < 0 || nz >= depth || ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
        const neighbour = nz * plane + ny * width + nx;
        if (mask[neighbour] && !components[neighbour]) {
          components[neighbour] = id;
          queue[tail++] = neighbour;
        }
      }
    }
    sizes.push(size);
    touchesBorder.push(border);
  }
  return { components, sizes, touchesBorder };
}
