import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionOnly, combinedPixelWeight, nonZeroDenominator, type PixelWeightOptions } from './loss-inputs.js';

export const mumfordShahLossParams = z
  .object({
    activation: lossActivationParam,
    penalty: z.enum(['l1', 'l2']).default('l1').describe("Penalty on the prediction's finite differences: 'l1' (|dp|, total variation) or 'l2' (dp²)"),
    lambda: z.number().nonnegative().default(1).describe('Weight lambda ≥ 0 of the gradient (length) term against the level-set (intensity variance) term'),
  })
  .strict();
export type MumfordShahLossParams = z.output<typeof mumfordShahLossParams>;
export type MumfordShahOptions = MumfordShahLossParams & PixelWeightOptions;

/**
 * Mumford-Shah loss functional, channels last: prediction [N, ...spatial, C] and image [N, ...spatial, K] (2D or 3D).
 * With pixel weights w = pixelWeight * mask (1 without), for each image n, class c and image channel k the centroid is
 *   mu_nck = sum_i w_i I_ik p_ic / sum_i w_i p_ic,
 * the level-set term is sum_{n,i,c,k} w_i p_ic (I_ik - mu_nck)^2, and the gradient term sums, along every spatial
 * axis, w_i w_j |p_jc - p_ic| (or squared) over neighbour pairs (i, j). Then
 *   loss = (level set + lambda gradient) / (C sum_i w_i),
 * which without weights is PyMIC's division by numel(prediction). 3D volumes take differences along depth too (PyMIC
 * folds depth into the batch and uses in-plane differences only).
 *
 * Reference: B. Kim, J. C. Ye, "Mumford-Shah Loss Functional for Image Segmentation With Deep Learning", IEEE TIP
 * 2019; PyMIC `MumfordShahLoss` (pymic/loss/seg/mumford_shah.py). Differentiable by tfjs autodiff.
 */
export function mumfordShahLoss(prediction: tf.Tensor, image: tf.Tensor, options: MumfordShahOptions): tf.Scalar {
  const name = 'mumfordShahLoss';
  const classes = checkPredictionOnly(name, prediction);
  checkPixelWeights(name, prediction, options);
  if (image.rank !== prediction.rank || image.shape.slice(0, -1).join('x') !== prediction.shape.slice(0, -1).join('x')) {
    throw new MicflowError('invalid-shape', `${name}: image shape [${image.shape}] must match the prediction [${prediction.shape}] but for channels`);
  }
  const { lambda, penalty } = options;
  return tf.tidy(() => {
    const p = activatePrediction(prediction, options.activation);
    const n = p.shape[0];
    const spatialAxes = p.shape.slice(1, -1).map((_, i) => i + 1);
    const pixelsPerImage = p.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    const weight = combinedPixelWeight(options);
    const w = weight === undefined ? tf.ones([...p.shape.slice(0, -1), 1]) : tf.expandDims(tf.cast(weight, 'float32'), -1);
    const wp = tf.reshape(tf.mul(w, p), [n, pixelsPerImage, classes]); // [N, P, C]
    const intensities = tf.reshape(tf.cast(image, 'float32'), [n, pixelsPerImage, image.shape[image.rank - 1]]); // [N, P, K]
    // mu [N, K, C] = I^T (w p) / sum_i w p
    const intensitiesT = tf.transpose(intensities, [0, 2, 1]);
    // The class mass is floored (not replaced via tf.where, whose condition has no gradient path) so an empty class
    // gives a zero centroid instead of NaN.
    const mu = tf.div(tf.matMul(intensitiesT, wp), tf.expandDims(tf.maximum(tf.sum(wp, 1), 1e-12), 1));
    // sum over n, i, k, c of w_i p_ic (I_ik - mu_nkc)^2, as [N, P, K, C].
    const deviation = tf.sub(tf.expandDims(intensities, 3), tf.expandDims(mu, 1));
    const levelSet = tf.sum(tf.mul(tf.square(deviation), tf.expandDims(wp, 2)));
    let gradientTerm: tf.Tensor = tf.scalar(0);
    for (const axis of spatialAxes) {
      const length = p.shape[axis];
      if (length < 2) continue;
      const begin = (offset: number) => p.shape.map((_, i) => (i === axis ? offset : 0));
      const size = p.shape.map((d, i) => (i === axis ? length - 1 : d));
      const wSize = w.shape.map((d, i) => (i === axis ? length - 1 : d));
      const difference = tf.sub(tf.slice(p, begin(1), size), tf.slice(p, begin(0), size));
      const pairWeight = tf.mul(tf.slice(w, begin(1), wSize), tf.slice(w, begin(0), wSize));
      const penalised = penalty === 'l2' ? tf.square(difference) : tf.abs(difference);
      gradientTerm = tf.add(gradientTerm, tf.sum(tf.mul(pairWeight, penalised)));
    }
    const denominator = nonZeroDenominator(tf.mul(tf.sum(w), classes));
    return tf.div(tf.add(levelSet, tf.mul(gradientTerm, lambda)), denominator) as tf.Scalar;
  });
}
