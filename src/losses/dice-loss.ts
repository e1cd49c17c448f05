import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { classWeightsParam } from './class-weights-param.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkClassWeights, checkPixelWeights, checkPredictionAndTarget, combinedPixelWeight, type PixelWeightOptions } from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';

export const diceLossParams = z
  .object({
    activation: lossActivationParam,
    classWeights: classWeightsParam('the loss is the class-weighted mean of the per-class losses 1 − dice_c'),
  })
  .strict();
export type DiceLossParams = z.output<typeof diceLossParams>;
/** The options of {@link diceLoss}, which takes probabilities: the class weights and the pixel weights. */
export type DiceLossOptions = Pick<DiceLossParams, 'classWeights'> & PixelWeightOptions;

/** Smoothing added to numerator and denominator of every class's soft Dice, as in PyMIC. */
export const DICE_SMOOTH = 1e-5;

/**
 * Soft Dice loss, channels last: prob (softmax output) and one-hot target [N,H,W,C] float32. Returns a scalar.
 *
 * Both tensors are flattened to [pixels, C] (the whole batch is one volume per class, not per image). With pixel
 * weight w_i = pixelWeight_i * mask_i (1 when not given), per class c:
 *   dice_c = (2 I_c + s) / (P_c + Y_c + s),  I_c = sum_i w_i p_ic y_ic,  P_c = sum_i w_i p_ic,  Y_c = sum_i w_i y_ic
 * with s = 1e-5, and loss = mean_c (1 - dice_c), or sum_c k_c (1 - dice_c) / sum_c k_c with class weights k.
 * A class absent from both prediction and target has dice ~ 1 (loss ~ 0); a class absent from the target only has
 * dice ~ s / P_c, near 0, so the loss pushes its probability to zero.
 *
 * Gradient: the op carries its own analytic gradient,
 *   d loss / d p_ic = -(k_c / sum k) w_i (2 y_ic - dice_c) / (P_c + Y_c + s),
 * so it works under tf.variableGrads without tfjs-core's gradient registry (which the Node build of tfjs-core does not
 * populate). Only `prob` receives a gradient; target and weights are constants.
 *
 * References: F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for Volumetric Medical
 * Image Segmentation", 3DV 2016 (soft Dice; they square p and y in the denominator, PyMIC and this function do not);
 * PyMIC `DiceLoss` and `get_classwise_dice` (pymic/loss/seg/dice.py, util.py), whose semantics this follows.
 * Pure and tape-safe: no values are read back to JavaScript.
 */
export function diceLoss(prob: tf.Tensor, oneHot: tf.Tensor, options: DiceLossOptions = {}): tf.Scalar {
  const name = 'diceLoss';
  const classes = checkPredictionAndTarget(name, prob, oneHot);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, prob, options);
  const classWeights = options.classWeights ?? new Array<number>(classes).fill(1);
  const weightTotal = classWeights.reduce((a, b) => a + b, 0);
  const op = tf.customGrad((...args) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const p = tf.reshape(input, [-1, classes]);
    const y = tf.reshape(oneHot, [-1, classes]);
    const pixelWeight = combinedPixelWeight(options);
    // Unweighted: w = 1 is left out rather than multiplied in (three full-size passes fewer per call).
    const w = pixelWeight === undefined ? undefined : tf.reshape(pixelWeight, [-1, 1]);
    const wy = w === undefined ? y : tf.mul(w, y);
    const intersect = tf.sum(tf.mul(wy, p), 0);
    const denominator = tf.add(tf.add(tf.sum(w === undefined ? p : tf.mul(w, p), 0), tf.sum(wy, 0)), DICE_SMOOTH);
    const dice = tf.div(tf.add(tf.mul(intersect, 2), DICE_SMOOTH), denominator);
    const k = tf.div(tf.tensor1d(classWeights, 'float32'), weightTotal);
    const value = tf.sum(tf.mul(k, tf.sub(1, dice))) as tf.Scalar;
    save(w === undefined ? [y, dice, tf.div(tf.neg(k), denominator)] : [y, dice, tf.div(tf.neg(k), denominator), w]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [ys, diceSaved, classFactor, ws] = saved;
        const unweighted = tf.mul(tf.sub(tf.mul(ys, 2), diceSaved), classFactor);
        const grad = ws === undefined ? unweighted : tf.mul(ws, unweighted);
        return tf.mul(tf.reshape(grad, prob.shape), dy);
      },
    };
  });
  return tf.tidy(() => op(prob) as tf.Scalar);
}

/** The DiceLoss stage's loss: {@link diceLoss} of the activated prediction. */
export function activatedDiceLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: DiceLossParams & PixelWeightOptions): tf.Scalar {
  return diceLoss(activatePrediction(prediction, options.activation), oneHot, options);
}

export const diceLossUnit: LabelledLossUnit<DiceLossParams> = {
  className: 'DiceLoss',
  description: 'Soft Dice loss against a label map (V-Net, Milletari 2016), class/pixel weights, mask',
  reference: 'Milletari, Navab, Ahmadi. V-Net. 3DV 2016',
  paramsSchema: diceLossParams,
  loss: activatedDiceLoss,
};
