import { MicflowError } from '../errors/micflow-error.js';

/**
 * The surface (boundary) voxels of a binary mask in 2D or 3D: foreground voxels with at least one face neighbour
 * (4-connectivity in 2D, 6-connectivity in 3D) that is background or lies outside the grid.
 *
 * This is the definition medpy uses for its surface distances (`mask ^ binary_erosion(mask, connectivity=1)`, with
 * scipy's default border value 0, so voxels on the grid edge are surface voxels), and MONAI's `get_mask_edges`
 * without sub-voxel surfels. `shape` is row-major (slowest axis first). Returns 1 at surface voxels, 0 elsewhere.
 */
export function surfaceVoxels(mask: ArrayLike<number>, shape: readonly number[]): Uint8Array {
  const total = shape.reduce((a, b) => a * b, 1);
  if (mask.length !== total) {
    throw new MicflowError('invalid-shape', `surfaceVoxels: ${mask.length} values do not fill a grid of shape ${shape.join('×')}`);
  }
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const surface = new Uint8Array(total);
  const coordinate = new Array<number>(shape.length).fill(0);
  for (let index = 0; index < total; index++) {
    if (mask[index]) {
      let boundary = false;
      for (let axis = 0; axis < shape.length && !boundary; axis++) {
        const c = coordinate[axis];
        const stride = strides[axis];
        if (c === 0 || !mask[index - stride] || c === shape[axis] - 1 || !mask[index + stride]) boundary = true;
      }
      if (boundary) surface[index] = 1;
    }
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++coordinate[axis] < shape[axis]) break;
      coordinate[axis] = 0;
    }
  }
  return surface;
}
