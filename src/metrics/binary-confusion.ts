/** Voxel counts of a binary prediction against a binary ground truth (true negatives are not needed by any metric). */
export interface BinaryConfusion {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/** Counts true positives, false positives and false negatives of two same-length binary masks (non-zero = foreground). */
export function binaryConfusion(prediction: ArrayLike<number>, groundTruth: ArrayLike<number>): BinaryConfusion {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < prediction.length; i++) {
    const p = prediction[i] !== 0;
    const g = groundTruth[i] !== 0;
    if (p && g) truePositives++;
    else if (p) falsePositives++;
    else if (g) falseNegatives++;
  }
  return { truePositives, falsePositives, falseNegatives };
}
