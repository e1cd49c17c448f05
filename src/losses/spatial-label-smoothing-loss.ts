import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import { pixelWeightedMean } from './pixel-weighted-mean.js';

export const spatialLabelSmoothingLossParams = z
  .object({
    activation: lossActivationParam,
    epsilon: z.number().min(0).max(0.5).default(0.25).describe("Smoothing epsilon in [0, 0.5]: a noisy pixel's label 1 becomes 1 − epsilon and 0 becomes epsilon"),
  })
  .strict();
export type SpatialLabelSmoothingLossParams = z.output<typeof spatialLabelSmoothingLossParams>;
export interface SpatialLabelSmoothingOptions extends SpatialLabelSmoothingLossParams, PixelWeightOptions {
  /** 1 where the label is suspected wrong (e.g. from confident learning), 0 where it is trusted; shape [N, ...spatial]. */
  readonly noisyMask?: tf.Tensor;
}

/**
 * Spatial label smoothing regularisation (SLSR), channels last: prediction and one-hot target [N, ...spatial, C].
 * At pixels flagged in `noisyMask` (values > 0) the label is smoothed towards 1/2:
 *   y'_ic = (y_ic - 0.5) (0.5 - epsilon) / 0.5 + 0.5,
 * elsewhere y' = y. Then cross-entropy with PyMIC's guard p' = 0.999 p + 5e-4:
 *   loss = weighted mean_i of -sum_c y'_ic log p'_ic,  weights w = pixelWeight * mask.
 *
 * Reference: M. Zhang, J. Gao et al., "Characterizing Label Errors: Confident Learning for Noisy-Labeled Image
 * Segmentation", MICCAI 2020; PyMIC `SLSRLoss` (pymic/loss/seg/slsr.py), where the noisy mask travels as
 * `pixel_weight`. Differentiable by tfjs autodiff.
 */
export function spatialLabelSmoothingLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: SpatialLabelSmoothingOptions): tf.Scalar {
  const name = 'spatialLabelSmoothingLoss';
  checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const { epsilon } = options;
  const noisy = options.noisyMask;
  if (noisy !== undefined && noisy.shape.join('x') !== prediction.shape.slice(0, -1).join('x')) {
    throw new MicflowError('invalid-shape', `${name}: noisyMask shape [${noisy.shape}] must equal the prediction shape without channels`);
  }
  return tf.tidy(() => {
    let target = oneHot;
    if (noisy !== undefined) {
      const flagged = tf.expandDims(tf.cast(tf.greater(noisy, 0), 'float32'), -1);
      const smoothed = tf.add(tf.mul(tf.sub(oneHot, 0.5), (0.5 - epsilon) / 0.5), 0.5);
      target = tf.add(tf.mul(flagged, smoothed), tf.mul(tf.sub(1, flagged), oneHot));
    }
    const p = tf.add(tf.mul(activatePrediction(prediction, options.activation), 0.999), 5e-4);
    return pixelWeightedMean(tf.neg(tf.sum(tf.mul(target, tf.log(p)), -1)), options);
  });
}
