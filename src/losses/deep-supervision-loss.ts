import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { resizeLinear } from '../runtime/ops/resize-linear.js';
import { lossActivationParam } from './loss-activation.js';
import type { PixelWeightOptions } from './loss-inputs.js';

/**
 * How predictions smaller than the label are compared with it:
 * - 'upsample-prediction': resize the prediction to the label's size (bilinear / trilinear, align_corners=False;
 *   PyMIC's deep_supervise_mode 0);
 * - 'downsample-label': average the one-hot label (and the pixel weights / mask) over blocks down to the prediction's
 *   size, giving soft targets (PyMIC's mode 2; equal to its mode 1 for factor 2).
 */
export const deepSupervisionModes = ['upsample-prediction', 'downsample-label'] as const;
export type DeepSupervisionMode = (typeof deepSupervisionModes)[number];

/** The losses the DeepSupervisionLoss stage applies at every scale. */
export const deepSupervisionBaseLosses = ['dice', 'crossEntropy', 'diceCrossEntropy', 'mse'] as const;

export const deepSupervisionLossParams = z
  .object({
    activation: lossActivationParam,
    baseLoss: z
      .enum(deepSupervisionBaseLosses)
      .default('diceCrossEntropy')
      .describe("The loss applied at every scale: soft Dice, cross-entropy on logits (soft targets allowed), their mean (CE + Dice) / 2, or MSE; the cross-entropy ones need activation 'softmax'"),
    weights: z
      .array(z.number().nonnegative())
      .refine((weights) => weights.some((a) => a > 0), { message: 'the weights are all zero' })
      .optional()
      .describe('One non-negative weight per prediction, full resolution first, not all zero; without it 1, 1/2, 1/4, ... (normalised to sum 1)'),
    mode: z
      .enum(deepSupervisionModes)
      .default('upsample-prediction')
      .describe("How a coarser prediction meets the label (PyMIC `deep_supervise_mode`): 'upsample-prediction' resizes it to the label (mode 0), 'downsample-label' block-averages the label to it (mode 2)"),
  })
  .strict()
  .refine((p) => p.baseLoss === 'dice' || p.baseLoss === 'mse' || p.activation === 'softmax', {
    message: "cross-entropy base losses take logits: use activation 'softmax'",
    path: ['activation'],
  });
export type DeepSupervisionLossParams = z.output<typeof deepSupervisionLossParams>;

/** A segmentation loss of (prediction, one-hot target, pixel weights) — any of micflow's losses with its options bound. */
export type BaseSegmentationLoss = (prediction: tf.Tensor, oneHot: tf.Tensor, weights: PixelWeightOptions) => tf.Scalar;

/** The options of {@link deepSupervisionLoss}: the scale weights, the mode and the pixel weights of the label. */
export type DeepSupervisionOptions = Pick<DeepSupervisionLossParams, 'weights' | 'mode'> & PixelWeightOptions;

/** The default weights 1, 1/2, 1/4, ... (1/2^i for the i-th prediction, full resolution first). */
export function deepSupervisionWeights(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 / 2 ** i);
}

/**
 * Deep supervision: a base loss applied to each of several predictions [N, ...spatial_i, C] (the full-resolution
 * output first, then coarser decoder outputs) against one full-resolution one-hot label [N, ...spatial, C], combined as
 *   loss = sum_i a_i L(pred_i, label_i) / sum_i a_i,   a_i = 1/2^i by default.
 * Shapes are matched per {@link DeepSupervisionMode}; the label's size must be an integer multiple of each
 * prediction's for 'downsample-label'. Pixel weights and the unannotated mask follow the label.
 *
 * Reference: C.-Y. Lee et al., "Deeply-Supervised Nets", AISTATS 2015; Q. Dou et al., "3D deeply supervised network
 * for automated segmentation of volumetric medical images", MedIA 2017; PyMIC `DeepSuperviseLoss`
 * (pymic/loss/seg/deep_sup.py). Differentiable: the resizes are linear maps with exact gradients (resizeLinear,
 * averagePoolBlocks).
 */
export function deepSupervisionLoss(
  predictions: readonly tf.Tensor[],
  oneHot: tf.Tensor,
  baseLoss: BaseSegmentationLoss,
  options: DeepSupervisionOptions,
): tf.Scalar {
  const name = 'deepSupervisionLoss';
  if (predictions.length === 0) throw new MicflowError('invalid-argument', `${name}: no predictions given`);
  const weights = options.weights ?? deepSupervisionWeights(predictions.length);
  if (weights.length !== predictions.length) {
    throw new MicflowError('invalid-argument', `${name}: ${weights.length} weights for ${predictions.length} predictions`);
  }
  const { mode } = options;
  const labelSpatial = oneHot.shape.slice(1, -1);
  predictions.forEach((pred, i) => {
    const spatial = pred.shape.slice(1, -1);
    const ok =
      pred.rank === oneHot.rank &&
      pred.shape[0] === oneHot.shape[0] &&
      pred.shape[pred.rank - 1] === oneHot.shape[oneHot.rank - 1] &&
      (mode === 'upsample-prediction' || spatial.every((s, a) => labelSpatial[a] % s === 0));
    if (!ok) {
      throw new MicflowError(
        'invalid-shape',
        `${name}: prediction ${i} of shape [${pred.shape}] cannot be matched with the label [${oneHot.shape}]` +
          (mode === 'downsample-label' ? ' (the label size must be a multiple of the prediction size)' : ''),
      );
    }
  });
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  return tf.tidy(() => {
    const terms = predictions.map((pred, i) => {
      const spatial = pred.shape.slice(1, -1);
      const same = spatial.every((s, a) => s === labelSpatial[a]);
      let term: tf.Scalar;
      if (same) term = baseLoss(pred, oneHot, { pixelWeight: options.pixelWeight, mask: options.mask });
      else if (mode === 'upsample-prediction') {
        term = baseLoss(resizeLinear(pred, labelSpatial), oneHot, { pixelWeight: options.pixelWeight, mask: options.mask });
      } else {
        const factors = spatial.map((s, a) => labelSpatial[a] / s);
        const pooledWeight = (t: tf.Tensor | undefined) =>
          t === undefined ? undefined : tf.squeeze(averagePoolBlocks(tf.expandDims(tf.cast(t, 'float32'), -1), factors), [pred.rank - 1]);
        term = baseLoss(pred, averagePoolBlocks(oneHot, factors), {
          pixelWeight: pooledWeight(options.pixelWeight),
          mask: pooledWeight(options.mask),
        });
      }
      return tf.mul(term, weights[i] / weightTotal);
    });
    return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
  });
}
