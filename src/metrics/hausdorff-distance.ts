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
 * interpolation between order statistics. This is the `hd95` column of every micflow table (`LabelMetrics.hd95`).
 * Two other definitions are in use and differ from it when the directions are asymmetric: PyMIC's (the larger of the
 * two directed 95th percentiles, each an order statistic without interpolation: {@link pymicHausdorffDistance95}) and
 * MONAI's `compute_hausdorff_distance(percentile=95)` (the larger of the two directed percentiles, each interpolated).
 * NaN when either surface is empty. `percentile` may be set to another value in [0, 100]; 100 gives the Hausdorff
 * distance.
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

/**
 * PyMIC's 95th-percentile Hausdorff distance (`binary_hd95` in pymic/util/evaluation_seg.py): per direction, the
 * distances sorted ascending and the one at 0-based index ⌊0.95·n⌋ taken (Python's `sorted(d)[int(len(d) * 0.95)]`,
 * an order statistic, no interpolation — numpy's `method='higher'` gives the same index), then the larger of the two
 * directions:
 *   max( d(∂B→∂A)₍⌊0.95·n_B⌋₎ , d(∂A→∂B)₍⌊0.95·n_A⌋₎ ).
 * Each direction's percentile is that of its own surface, so a small stray island of the prediction, far from the
 * ground truth, counts against the prediction's surface only: it can decide PyMIC's value while vanishing in the
 * pooled percentile of {@link percentileHausdorffDistance} (medpy). Both use the same surfaces (face-connected
 * erosion, the grid edge as background) and the same exact Euclidean distances with spacing as PyMIC's
 * `ndimage.distance_transform_edt(1 - edge, sampling=spacing)`.
 *
 * NaN when either surface is empty, where PyMIC returns 0 (both empty) or 100 (one empty), caps that would enter means
 * as if they were measurements. `percentile` (default 95, PyMIC's only value) may be another value in [0, 100]; the
 * index is ⌊n·percentile/100⌋, clamped to n − 1, so 100 gives the Hausdorff distance.
 */
export function pymicHausdorffDistance95(distances: SymmetricSurfaceDistances, percentile = 95): number {
  const { predictionToGroundTruth: a, groundTruthToPrediction: b } = distances;
  if (a.length === 0 || b.length === 0) return Number.NaN;
  return Math.max(orderStatisticPercentile(a, percentile), orderStatisticPercentile(b, percentile));
}

/** The value at 0-based index ⌊n·percentile/100⌋ (at most n − 1) of the ascending values: PyMIC's percentile. */
export function orderStatisticPercentile(values: ArrayLike<number>, percentile: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  // n * 0.95 as Python computes int(len * 0.95): 95 / 100 is the same double as the literal 0.95.
  return sorted[Math.min(Math.floor(n * (percentile / 100)), n - 1)];
}
