import type { BinaryConfusion } from './binary-confusion.js';

/** Physical volume of one voxel (mm³ for spacing in mm; mm² for a 2D grid): the product of the spacings. */
export function voxelVolume(spacing: readonly number[]): number {
  return spacing.reduce((a, b) => a * b, 1);
}

/** Predicted and ground-truth volumes (voxel count × voxel volume). */
export function segmentationVolumes(confusion: BinaryConfusion, spacing: readonly number[]): { prediction: number; groundTruth: number } {
  const unit = voxelVolume(spacing);
  return {
    prediction: (confusion.truePositives + confusion.falsePositives) * unit,
    groundTruth: (confusion.truePositives + confusion.falseNegatives) * unit,
  };
}

/**
 * Relative volume error |V_pred − V_gt| / V_gt, absolute as PyMIC's `binary_relative_volume_error`. 0 when both are
 * empty; NaN when only the ground truth is empty (no volume to be relative to).
 */
export function relativeVolumeError(confusion: BinaryConfusion): number {
  const predicted = confusion.truePositives + confusion.falsePositives;
  const truth = confusion.truePositives + confusion.falseNegatives;
  if (truth === 0) return predicted === 0 ? 0 : Number.NaN;
  return Math.abs(predicted - truth) / truth;
}
