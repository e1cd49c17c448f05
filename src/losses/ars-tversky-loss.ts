import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, combinedPixelWeight, nonZeroDenominator, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';

export const arsTverskyLossParams = z
  .object({
    activation: lossActivationParam,
    patchSize: z
      .array(z.number().int().positive())
      .min(2)
      .max(3)
      .describe("Region size per spatial axis, in pixels ([h, w] in 2D, [d, h, w] in 3D); each must divide the prediction's size"),
    a: z.number().nonnegative().default(0.3).describe('Lowest weight of false positives and false negatives'),
    b: z.number().nonnegative().default(0.4).describe('Range of the adaptive weights: alpha and beta lie in [a, a + b]'),
  })
  .strict();
export type ArsTverskyLossParams = z.output<typeof arsTverskyLossParams>;
export type ArsTverskyOptions = ArsTverskyLossParams & PixelWeightOptions;

const SMOOTH = 1e-5;

/**
 * Adaptive region-specific Tversky loss, channels last: prediction and one-hot target [N, ...spatial, C] float32
 * (2D or 3D). The image is cut into non-overlapping regions of `patchSize`; in region r and class c, with TP, FP, FN
 * the region means of p y, p (1 - y) and (1 - p) y,
 *   alpha = a + b (FP + s) / (FP + FN + s),   beta = a + b (FN + s) / (FP + FN + s),
 *   T_rc = (TP + s) / (TP + alpha FP + beta FN + s),  s = 1e-5,
 * so each region weights its own dominant error more. loss = mean over regions and classes of (1 - T_rc).
 * With pixel weights w = pixelWeight * mask, TP/FP/FN are means of w-weighted terms and region r counts with weight
 * mean_r(w) (plain mean without weights), so a region with no annotated pixel does not count.
 *
 * Reference: Y. Chen et al., "Adaptive Region-Specific Loss for Improved Medical Image Segmentation", IEEE TPAMI
 * 2023; PyMIC `ARSTverskyLoss` (pymic/loss/seg/ars_tversky.py). Differentiable by tfjs autodiff; the region means are
 * averagePoolBlocks (matMuls), not a reshape to rank 8, whose broadcast gradient the wasm backend (XNNPACK, rank <= 6)
 * silently computes as zeros.
 */
export function arsTverskyLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ArsTverskyOptions): tf.Scalar {
  const name = 'arsTverskyLoss';
  checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const spatial = prediction.shape.slice(1, -1);
  const patch = options.patchSize;
  if (patch.length !== spatial.length || patch.some((s, i) => spatial[i] % s !== 0)) {
    throw new MicflowError(
      'invalid-argument',
      `${name}: patchSize [${patch}] must have one positive size per spatial axis of [${spatial}], each dividing it`,
    );
  }
  const { a, b } = options;
  return tf.tidy(() => {
    const p = activatePrediction(prediction, options.activation);
    const weight = combinedPixelWeight(options);
    const w = weight === undefined ? undefined : tf.expandDims(weight, -1);
    const weighted = (t: tf.Tensor) => (w === undefined ? t : tf.mul(w, t));
    const tp = averagePoolBlocks(weighted(tf.mul(p, oneHot)), patch);
    const fp = averagePoolBlocks(weighted(tf.mul(p, tf.sub(1, oneHot))), patch);
    const fn = averagePoolBlocks(weighted(tf.mul(tf.sub(1, p), oneHot)), patch);
    const errors = tf.add(tf.add(fp, fn), SMOOTH);
    const alpha = tf.add(a, tf.mul(b, tf.div(tf.add(fp, SMOOTH), errors)));
    const beta = tf.add(a, tf.mul(b, tf.div(tf.add(fn, SMOOTH), errors)));
    const tversky = tf.div(tf.add(tp, SMOOTH), tf.add(tf.add(tf.add(tp, tf.mul(alpha, fp)), tf.mul(beta, fn)), SMOOTH));
    const perRegion = tf.sub(1, tversky); // [N, regions..., C]
    if (w === undefined) return tf.mean(perRegion) as tf.Scalar;
    const regionWeight = averagePoolBlocks(w, patch); // [N, regions..., 1]
    const classes = perRegion.shape[perRegion.rank - 1];
    return tf.div(tf.sum(tf.mul(regionWeight, perRegion)), nonZeroDenominator(tf.mul(tf.sum(regionWeight), classes))) as tf.Scalar;
  });
}

export const arsTverskyLossUnit: LabelledLossUnit<ArsTverskyLossParams> = {
  className: 'ArsTverskyLoss',
  description: 'Adaptive region-specific Tversky loss over patches (2D or 3D)',
  reference: 'Chen et al. Adaptive Region-Specific Loss for Improved Medical Image Segmentation. IEEE TPAMI 2023',
  paramsSchema: arsTverskyLossParams,
  loss: arsTverskyLoss,
};
