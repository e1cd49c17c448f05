import type { SymmetricSurfaceDistances } from './surface-distances.js';

/**
 * Average symmetric surface distance (ASSD) as defined by T. Heimann et al., "Comparison and evaluation of methods for
 * liver segmentation from CT datasets", IEEE TMI 28(8) 2009: the mean over the pooled surface distances of both
 * directions, (Σ_a d(a, ∂B) + Σ_b d(b, ∂A)) / (|∂A| + |∂B|). This is MONAI's symmetric `compute_average_surface_distance`
 * and PyMIC's `binary_assd`; medpy's `assd` instead averages the two directed means, which differs when the surfaces
 * have different voxel counts. NaN when either surface is empty.
 */
export function averageSymmetricSurfaceDistance(distances: SymmetricSurfaceDistances): number {
  const { predictionToGroundTruth: a, groundTruthToPrediction: b } = distances;
  if (a.length === 0 || b.length === 0) return Number.NaN;
  let sum = 0;
  for (const d of a) sum += d;
  for (const d of b) sum += d;
  return sum / (a.length + b.length);
}
