import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionOnly, type PixelWeightOptions } from './loss-inputs.js';
import type { UnlabelledLossUnit } from './loss-unit.js';
import { pixelWeightedMean } from './pixel-weighted-mean.js';

export const entropyLossParams = z.object({ activation: lossActivationParam }).strict();
export type EntropyLossParams = z.output<typeof entropyLossParams>;
export type EntropyLossOptions = EntropyLossParams & PixelWeightOptions;

/**
 * Entropy minimisation regulariser, channels last: prediction [N, ...spatial, C] (2D or 3D), C >= 2. Per pixel,
 *   H_i = -sum_c p'_ic log p'_ic / log C,   p' = 0.999 p + 5e-4  (PyMIC's guard against log 0),
 * normalised by log C so a uniform prediction scores (about) 1 and a confident one 0, whatever the class count; the
 * loss is the pixel-weighted mean of H with w = pixelWeight * mask (e.g. a mask of the unannotated pixels).
 *
 * Reference: Y. Grandvalet, Y. Bengio, "Semi-supervised Learning by Entropy Minimization", NeurIPS 2004; PyMIC
 * `EntropyLoss` (pymic/loss/seg/ssl.py). Differentiable by tfjs autodiff.
 */
export function entropyLoss(prediction: tf.Tensor, options: EntropyLossOptions): tf.Scalar {
  const name = 'entropyLoss';
  const classes = checkPredictionOnly(name, prediction);
  if (classes < 2) throw new MicflowError('invalid-shape', `${name}: needs at least 2 classes, got ${classes}`);
  checkPixelWeights(name, prediction, options);
  return tf.tidy(() => {
    const p = tf.add(tf.mul(activatePrediction(prediction, options.activation), 0.999), 5e-4);
    const entropy = tf.div(tf.neg(tf.sum(tf.mul(p, tf.log(p)), -1)), Math.log(classes));
    return pixelWeightedMean(entropy, options);
  });
}

export const entropyLossUnit: UnlabelledLossUnit<EntropyLossParams> = {
  className: 'EntropyLoss',
  description: 'Mean prediction entropy divided by log C (entropy minimisation regulariser)',
  reference: 'Grandvalet, Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004',
  paramsSchema: entropyLossParams,
  loss: entropyLoss,
};
