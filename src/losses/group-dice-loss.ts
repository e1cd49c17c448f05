import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { classwiseSoftDice } from './classwise-soft-dice.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionAndTarget, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';
import { pixelWeightColumn } from './pixel-weighted-mean.js';

export const groupDiceLossParams = z
  .object({
    activation: lossActivationParam,
    groups: z
      .array(z.array(z.number().int().nonnegative()).min(1))
      .min(1)
      .optional()
      .describe('Class indices of each group, disjoint, e.g. [[1, 2], [3]]; without it the foreground classes split into two contiguous groups (defaultDiceGroups)'),
  })
  .strict();
export type GroupDiceLossParams = z.output<typeof groupDiceLossParams>;
export type GroupDiceOptions = GroupDiceLossParams & PixelWeightOptions;

/**
 * The foreground classes 1..classes-1 split into `groupCount` contiguous groups of floor((classes-1)/groupCount)
 * classes, the last group also taking the remainder. (PyMIC's GroupDiceLoss uses two groups of that size and drops
 * the remainder classes, e.g. class 3 of 4; here every foreground class is in a group.)
 */
export function defaultDiceGroups(classes: number, groupCount = 2): number[][] {
  const perGroup = Math.floor((classes - 1) / groupCount);
  if (perGroup < 1) {
    throw new MicflowError('invalid-argument', `groupDiceLoss: ${classes} classes have too few foreground classes for ${groupCount} groups`);
  }
  return Array.from({ length: groupCount }, (_, g) => {
    const first = 1 + g * perGroup;
    const end = g === groupCount - 1 ? classes : first + perGroup;
    return Array.from({ length: end - first }, (_, k) => first + k);
  });
}

/**
 * Group Dice loss, channels last: prediction and one-hot target [N, ...spatial, C] float32. The probabilities and
 * labels of the classes in each group are summed into one channel (P_g = sum_{c in g} p_c, Y_g likewise) and
 *   loss = mean_g (1 - dice(P_g, Y_g)),
 * with PyMIC's soft Dice (smoothing 1e-5) pooled over the batch and pixel weights w = pixelWeight * mask. Rewards
 * finding a group of related structures even where the classes inside it are confused.
 *
 * Reference: PyMIC `GroupDiceLoss` (pymic/loss/seg/dice.py); soft Dice after Milletari et al., "V-Net", 3DV 2016.
 * Differentiable by tfjs autodiff (the group sums are one matMul with a 0/1 membership matrix).
 */
export function groupDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: GroupDiceOptions): tf.Scalar {
  const name = 'groupDiceLoss';
  const classes = checkPredictionAndTarget(name, prediction, oneHot);
  checkPixelWeights(name, prediction, options);
  const groups = options.groups ?? defaultDiceGroups(classes);
  const seen = new Set<number>();
  for (const group of groups) {
    for (const c of group) {
      if (c >= classes || seen.has(c)) {
        throw new MicflowError('invalid-argument', `${name}: class ${c} in groups is out of 0..${classes - 1} or in two groups`);
      }
      seen.add(c);
    }
  }
  const membership = new Float32Array(classes * groups.length);
  groups.forEach((group, g) => group.forEach((c) => (membership[c * groups.length + g] = 1)));
  return tf.tidy(() => {
    const member = tf.tensor2d(membership, [classes, groups.length]);
    const p = tf.matMul(tf.reshape(activatePrediction(prediction, options.activation), [-1, classes]) as tf.Tensor2D, member);
    const y = tf.matMul(tf.reshape(oneHot, [-1, classes]) as tf.Tensor2D, member);
    const dice = classwiseSoftDice(p as tf.Tensor2D, y as tf.Tensor2D, pixelWeightColumn(options, p.shape[0]));
    return tf.sub(1, tf.mean(dice)) as tf.Scalar;
  });
}

export const groupDiceLossUnit: LabelledLossUnit<GroupDiceLossParams> = {
  className: 'GroupDiceLoss',
  description: 'Soft Dice over groups of classes (summed probabilities per group)',
  reference: 'PyMIC GroupDiceLoss; Milletari, Navab, Ahmadi. V-Net. 3DV 2016',
  paramsSchema: groupDiceLossParams,
  loss: groupDiceLoss,
};
