import type { BinaryConfusion } from './binary-confusion.js';

/**
 * Dice similarity coefficient 2TP / (2TP + FP + FN) (L. R. Dice, Ecology 1945). 1 when prediction and ground truth
 * are both empty (nothing to find, nothing wrongly found), 0 when exactly one is empty.
 */
export function diceCoefficient({ truePositives: tp, falsePositives: fp, falseNegatives: fn }: BinaryConfusion): number {
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 1 : (2 * tp) / denominator;
}

/**
 * Intersection over union (Jaccard index) TP / (TP + FP + FN) (P. Jaccard, 1912). 1 when both are empty, 0 when exactly
 * one is empty.
 */
export function intersectionOverUnion({ truePositives: tp, falsePositives: fp, falseNegatives: fn }: BinaryConfusion): number {
  const denominator = tp + fp + fn;
  return denominator === 0 ? 1 : tp / denominator;
}

/** Sensitivity (recall, true positive rate) TP / (TP + FN). NaN when the ground truth is empty (nothing to find). */
export function sensitivity({ truePositives: tp, falseNegatives: fn }: BinaryConfusion): number {
  return tp + fn === 0 ? Number.NaN : tp / (tp + fn);
}

/** Precision (positive predictive value) TP / (TP + FP). NaN when the prediction is empty (nothing was claimed). */
export function precision({ truePositives: tp, falsePositives: fp }: BinaryConfusion): number {
  return tp + fp === 0 ? Number.NaN : tp / (tp + fp);
}
