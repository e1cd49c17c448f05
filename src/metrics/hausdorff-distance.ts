import type { SymmetricSurfaceDistances } from './surface-distances.js';

/**
 * The Hausdorff distance between two surfaces: the largest of all surface distances in both directions,
 * max(max_a d(a, ∂B), max_b d(b, ∂A)) (D. P. Huttenlocher, G. A. Klanderman, W. J. Rucklidge, "Comparing images using
 * the Hausdorff distance", IEEE TPAMI 1993). NaN when either surface is empty (the distance is undefined; PyMIC returns
 * a fixed cap instead, which silently biases means).
 */
export function hausdorffDistance(distances: SymmetricSurfaceDistances): number {
  const { predictionToGroundTruth: a, groundTruthToPrediction: b } = distances;
  if (a.length === 0 || b.length === 0) return Number.NaN;
  let largest = 0;
  for (const d of a) if (d > largest) largest = d;
  for (const d of b) if (d > largest) largest = d;
  return largest;
}

/**
 * The 95th-percentile Hausdorff distance, defined as medpy's `hd95`: the 95th percentile of the pooled surface
 * distances of both directions, `numpy.percentile(hstack((d(∂A→∂B), d(∂B→∂A))), 95)` with numpy's default linear
 * interpolation between order statistics. (MONAI's `compute_hausdorff_distance(percentile=95)` instead takes the larger
 * of the two directed percentiles; the values differ when the directions are asymmetric.) NaN when either surface is
 * empty. `percentile` may be set to another value in [0, 100]; 100 gives the Hausdorff distance.
 */
export function percentileHausdorffDistance(distances: SymmetricSurfaceDistances, percentile = 95): number {
  const { predictionToGroundTruth: a, groundTruthToPrediction: b } = distances;
  if (a.length === 0 || b.length === 0) return Number.NaN;
  const pooled = new Float64Array(a.length + b.length);
  pooled.set(a);
  pooled.set(b, a.length);
  pooled.sort();
  return linearPercentile(pooled, percentile);
}

/** numpy.percentile's default ('linear') method on ascending values: position (n − 1)·p/100, interpolated. */
export function linearPercentile(sortedAscending: ArrayLike<number>, percentile: number): number {
  const n = sortedAscending.length;
  if (n === 0) return Number.NaN;
  const position = ((n - 1) * percentile) / 100;
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  const fraction = position - below;
  const low = sortedAscending[below];
  const high = sortedAscending[above];
  return fraction === 0 ? low : low + (high - low) * fraction;
}
