import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';
import type { ProbabilityMap, ProbabilityPredictor } from './probability-map.js';

/**
 * Averages the class probabilities of several models' predictions of one image (ensembling by probability averaging,
 * as nnU-Net's ensembles of folds), optionally weighted (weights are normalised to sum to 1).
 */
export function averageProbabilityMaps(maps: readonly ProbabilityMap[], weights?: readonly number[]): ProbabilityMap {
  if (!maps.length) throw new MicflowError('invalid-argument', 'ensemble: no predictions to average');
  const shape = maps[0].shape;
  for (const [i, m] of maps.entries()) {
    if (m.shape.join('x') !== shape.join('x')) {
      throw new MicflowError('invalid-shape', `ensemble: prediction ${i} has shape ${m.shape.join('×')}, prediction 0 has ${shape.join('×')}`);
    }
  }
  const w = weights ?? maps.map(() => 1);
  if (w.length !== maps.length || !w.every((v) => v >= 0) || !(w.reduce((a, b) => a + b, 0) > 0)) {
    throw new MicflowError('invalid-argument', `ensemble: need ${maps.length} non-negative weights with a positive sum, got ${JSON.stringify(w)}`);
  }
  const total = w.reduce((a, b) => a + b, 0);
  const data = new Float32Array(maps[0].data.length);
  maps.forEach((m, i) => {
    const scale = w[i] / total;
    for (let j = 0; j < data.length; j++) data[j] += scale * m.data[j];
  });
  return { data, shape };
}

/** A predictor that runs every member on the image and averages their probabilities. */
export function ensemblePredictor(members: readonly ProbabilityPredictor[], weights?: readonly number[]): ProbabilityPredictor {
  return (image: ImageArray) => averageProbabilityMaps(members.map((predict) => predict(image)), weights);
}

/**
 * Majority vote of several label maps (ensembling hard predictions): each voxel gets the label most members chose;
 * a tie goes to the smallest of the tied labels. Labels must be integers in 0..classes−1.
 */
export function majorityVote(labelMaps: readonly Int32Array[], classes: number): Int32Array {
  if (!labelMaps.length) throw new MicflowError('invalid-argument', 'majority vote: no label maps');
  const length = labelMaps[0].length;
  if (labelMaps.some((m) => m.length !== length)) throw new MicflowError('invalid-shape', 'majority vote: the label maps differ in size');
  const out = new Int32Array(length);
  const votes = new Int32Array(classes);
  for (let i = 0; i < length; i++) {
    votes.fill(0);
    for (const m of labelMaps) {
      const v = m[i];
      if (!(v >= 0 && v < classes)) throw new MicflowError('invalid-data', `majority vote: label ${v} at voxel ${i} is not in 0..${classes - 1}`);
      votes[v]++;
    }
    let best = 0;
    for (let k = 1; k < classes; k++) if (votes[k] > votes[best]) best = k;
    out[i] = best;
  }
  return out;
}
