import { MicflowError } from '../errors/micflow-error.js';

/**
 * Hard-label Dice per class, on plain label arrays (no tensors): for c in 0..classes-1,
 *   Dice_c = 2 |P_c ∩ G_c| / (|P_c| + |G_c|)
 * where P_c and G_c are the positions labelled c in prediction and ground truth.
 * Empty cases: a class absent from both arrays scores 1 (nothing to find, nothing wrongly found); a class present
 * in exactly one of them scores 0. Averaging over classes is left to the caller, who may prefer to skip classes absent
 * from the ground truth instead of counting them as 1.
 * Throws MicflowError('invalid-shape') when the lengths differ and ('invalid-data') for a value outside 0..classes-1.
 * Reference: L. R. Dice, "Measures of the amount of ecologic association between species", Ecology 1945.
 */
export function classwiseDice(prediction: ArrayLike<number>, groundTruth: ArrayLike<number>, classes: number): number[] {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new MicflowError('invalid-argument', `classwiseDice: class count must be a positive integer, got ${classes}`);
  }
  if (prediction.length !== groundTruth.length) {
    throw new MicflowError(
      'invalid-shape',
      `classwiseDice: prediction has ${prediction.length} values but ground truth has ${groundTruth.length}`,
    );
  }
  const predicted = new Float64Array(classes);
  const truth = new Float64Array(classes);
  const overlap = new Float64Array(classes);
  for (let i = 0; i < prediction.length; i++) {
    const p = prediction[i];
    const g = groundTruth[i];
    if (!isClass(p, classes) || !isClass(g, classes)) {
      const [which, v] = isClass(p, classes) ? ['ground truth', g] : ['prediction', p];
      throw new MicflowError('invalid-data', `classwiseDice: ${which} value ${v} at index ${i} is not a class in 0..${classes - 1}`);
    }
    predicted[p]++;
    truth[g]++;
    if (p === g) overlap[p]++;
  }
  const dice: number[] = [];
  for (let c = 0; c < classes; c++) {
    const denominator = predicted[c] + truth[c];
    dice.push(denominator === 0 ? 1 : (2 * overlap[c]) / denominator);
  }
  return dice;
}

function isClass(v: number, classes: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < classes;
}
