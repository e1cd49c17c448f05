import { squaredEuclideanDistanceTransform } from '../images/euclidean-distance-transform.js';
import { surfaceVoxels } from './surface-voxels.js';

/** Distances (mm) from each surface voxel of one mask to the nearest surface voxel of the other, both directions. */
export interface SymmetricSurfaceDistances {
  /** One entry per surface voxel of the prediction, in raster order: its distance to the ground truth's surface. */
  readonly predictionToGroundTruth: Float64Array;
  /** One entry per surface voxel of the ground truth: its distance to the prediction's surface. */
  readonly groundTruthToPrediction: Float64Array;
}

/**
 * Directed surface distances: for every surface voxel of `from` (see {@link surfaceVoxels}), the exact Euclidean
 * distance in physical units to the nearest surface voxel of `to`, computed with an exact distance transform of `to`'s
 * surface (Felzenszwalb & Huttenlocher 2012) — the construction of medpy's `__surface_distances`.
 * Empty when `from` has no voxel; +Infinity entries when `to` has none.
 */
export function directedSurfaceDistances(
  fromSurface: Uint8Array,
  toSurface: Uint8Array,
  shape: readonly number[],
  spacing: readonly number[],
): Float64Array {
  const squared = squaredEuclideanDistanceTransform(toSurface, shape, spacing);
  let count = 0;
  for (let i = 0; i < fromSurface.length; i++) count += fromSurface[i];
  const distances = new Float64Array(count);
  for (let i = 0, k = 0; i < fromSurface.length; i++) if (fromSurface[i]) distances[k++] = Math.sqrt(squared[i]);
  return distances;
}

/**
 * Surface distances between a predicted and a ground-truth binary mask (same grid, row-major `shape`, `spacing` in the
 * same axis order), in both directions. Surfaces follow {@link surfaceVoxels} (face connectivity, grid edge counts as
 * background).
 */
export function symmetricSurfaceDistances(
  prediction: Uint8Array,
  groundTruth: Uint8Array,
  shape: readonly number[],
  spacing: readonly number[],
): SymmetricSurfaceDistances {
  const predictionSurface = surfaceVoxels(prediction, shape);
  const groundTruthSurface = surfaceVoxels(groundTruth, shape);
  return {
    predictionToGroundTruth: directedSurfaceDistances(predictionSurface, groundTruthSurface, shape, spacing),
    groundTruthToPrediction: directedSurfaceDistances(groundTruthSurface, predictionSurface, shape, spacing),
  };
}
