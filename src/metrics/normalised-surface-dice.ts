import type { SymmetricSurfaceDistances } from './surface-distances.js';

/**
 * Normalised surface Dice at tolerance τ (mm): the fraction of both surfaces that lies within τ of the other surface,
 *   NSD = (|{a ∈ ∂A : d(a, ∂B) ≤ τ}| + |{b ∈ ∂B : d(b, ∂A) ≤ τ}|) / (|∂A| + |∂B|)
 * (S. Nikolov et al., "Deep learning to achieve clinically applicable segmentation of head and neck anatomy for
 * radiotherapy", arXiv:1809.04430, 2018). Surfaces are counted in boundary voxels, as MONAI's
 * `compute_surface_dice(use_subvoxels=False)`, not weighted by surfel area as DeepMind's `surface-distance` package.
 * Empty cases: 1 when both surfaces are empty (nothing to disagree on, like Dice), 0 when exactly one is empty.
 */
export function normalisedSurfaceDice(distances: SymmetricSurfaceDistances, tolerance: number): number {
  const { predictionToGroundTruth: a, groundTruthToPrediction: b } = distances;
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  let within = 0;
  for (const d of a) if (d <= tolerance) within++;
  for (const d of b) if (d <= tolerance) within++;
  return within / (a.length + b.length);
}
