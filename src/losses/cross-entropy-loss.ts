import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import { classWeightsParam } from './class-weights-param.js';
import {
  checkClassWeights,
  checkPixelWeights,
  checkPredictionAndTarget,
  combinedPixelWeight,
  nonZeroDenominator,
  type PixelWeightOptions,
} from './loss-inputs.js';
import type { LabelledLossUnit } from './loss-unit.js';

export const crossEntropyLossParams = z
  .object({
    activation: z
      .enum(['softmax', 'none'])
      .default('softmax')
      .describe("'softmax': the prediction is logits (stable log-softmax); 'none': it is probabilities, clamped to [1e-5, 1] before the log (PyMIC maps them to 0.999 p + 5e-4 instead)"),
    classWeights: classWeightsParam(
      "each pixel weighs its label's class weight and the mean divides by the summed weights (PyTorch's `weight` argument of `nn.CrossEntropyLoss`); needs activation 'softmax'",
    ),
  })
  .strict();
export type CrossEntropyLossParams = z.output<typeof crossEntropyLossParams>;
/** The options of {@link crossEntropyLoss} on logits: the class weights and the pixel weights. */
export type CrossEntropyOptions = Pick<CrossEntropyLossParams, 'classWeights'> & PixelWeightOptions;

/**
 * Softmax cross-entropy from logits, channels last: logits and one-hot target [N,H,W,C] float32. Returns a scalar.
 *
 * Computed stably as log p = logits - logSumExp(logits) over the channel axis (logSumExp subtracts the maximum before
 * exponentiating), so logits of any magnitude give finite values and gradients.
 *
 * Per pixel i, nll_i = -sum_c y_ic log p_ic and its weight is
 *   W_i = (sum_c classWeight_c y_ic) * pixelWeight_i * mask_i      (each factor 1 when not given),
 * and the loss is the weighted mean sum_i W_i nll_i / sum_i W_i. For one-hot targets and class weights alone this is
 * exactly PyTorch's `nn.CrossEntropyLoss(weight=w, reduction='mean')`: sum w_{y_i} nll_i / sum w_{y_i}, i.e. divided by
 * the summed weights, not by the pixel count. (PyMIC's current CrossEntropyLoss, given a `class_weight`, multiplies
 * each pixel's -y log p by the weights and then takes the plain mean over pixels, so its value scales with the weights;
 * with pixel weights it divides by the pixel weights' sum + 1e-5 alone.) A mask keeps only annotated pixels (partial /
 * scribble labels). When the total weight is 0 (everything masked out) the loss is defined as 0, with zero gradient.
 *
 * Gradient: the op carries its own analytic gradient, d loss / d z_ic = W_i (p_ic sum_c' y_ic' - y_ic) / sum_j W_j
 * (p = softmax(z)), so it works under tf.variableGrads without tfjs-core's gradient registry (which the Node build of
 * tfjs-core does not populate). Only `logits` receives a gradient; target and weights are constants.
 *
 * Reference: PyTorch `torch.nn.CrossEntropyLoss` documentation (weighted mean reduction).
 * Pure and tape-safe: no values are read back to JavaScript.
 */
export function crossEntropyLoss(logits: tf.Tensor, oneHot: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  const name = 'crossEntropyLoss';
  const classes = checkPredictionAndTarget(name, logits, oneHot);
  checkClassWeights(name, options.classWeights, classes);
  checkPixelWeights(name, logits, options);
  const channelAxis = logits.rank - 1;
  const op = tf.customGrad((...args) => {
    const [z, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const logProb = tf.sub(z, tf.logSumExp(z, channelAxis, true));
    const nll = tf.neg(tf.sum(tf.mul(oneHot, logProb), channelAxis));
    let weight = combinedPixelWeight(options);
    if (options.classWeights !== undefined) {
      const perPixelClassWeight = tf.sum(tf.mul(oneHot, tf.tensor1d(options.classWeights, 'float32')), channelAxis);
      weight = weight === undefined ? perPixelClassWeight : tf.mul(weight, perPixelClassWeight);
    }
    // Per-pixel factor of the mean: W_i / sum W, or 1 / pixels without weights.
    const pixelFactor =
      weight === undefined
        ? tf.fill(nll.shape, 1 / nll.size)
        : tf.div(weight, nonZeroDenominator(tf.sum(weight)));
    const value = tf.sum(tf.mul(pixelFactor, nll)) as tf.Scalar;
    save([tf.exp(logProb), oneHot, pixelFactor]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [prob, target, factor] = saved;
        const targetMass = tf.sum(target, channelAxis, true); // 1 for one-hot targets
        const perPixel = tf.sub(tf.mul(prob, targetMass), target);
        return tf.mul(tf.mul(perPixel, tf.expandDims(factor, -1)), dy);
      },
    };
  });
  return tf.tidy(() => op(logits) as tf.Scalar);
}

/**
 * Cross-entropy from probabilities (softmax output already applied), channels last: prob and one-hot target
 * [N,H,W,C] float32. Returns mean over pixels of -sum_c y_c log(clamp(p_c, eps, 1)).
 *
 * After PyMIC's `CrossEntropyLoss` (pymic/loss/seg/ce.py) without its softmax (`loss_acti_func` None in the current
 * code, `loss_softmax` false in the releases before it): it takes probabilities, sums -y log p over classes and
 * averages over pixels. PyMIC's early CrossEntropyLoss (pymic/loss/ce.py, then pymic/loss/seg/ce.py with
 * `CrossEntropyLoss_Enable_Pixel_Weight`) had no guard against log 0 (p = 0 on the labelled class gave +inf); later
 * versions, the current one included, map p to 0.999 p + 5e-4 first. Here p is clamped to [eps, 1] instead, so values
 * agree with PyMIC's current code only where p is well inside (0, 1), up to that 0.1 % rescaling (for p = 1 PyMIC gives
 * -log 0.9995 ≈ 5e-4, this 0). Prefer {@link crossEntropyLoss} on logits for training: the clamp zeroes the gradient
 * of pixels whose probability is below eps.
 *
 * Gradient (carried by the op, see crossEntropyLoss): d loss / d p_ic = -y_ic / (p_ic * pixels) where eps <= p_ic <= 1,
 * else 0. Only `prob` receives a gradient.
 */
export function crossEntropyFromProbabilities(prob: tf.Tensor, oneHot: tf.Tensor, eps = 1e-5): tf.Scalar {
  const name = 'crossEntropyFromProbabilities';
  checkPredictionAndTarget(name, prob, oneHot);
  if (!(eps > 0 && eps < 1)) throw new MicflowError('invalid-argument', `${name}: eps must be in (0, 1), got ${eps}`);
  const channelAxis = prob.rank - 1;
  const pixels = prob.size / prob.shape[channelAxis];
  const op = tf.customGrad((...args) => {
    const [p, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const clamped = tf.clipByValue(p, eps, 1);
    const value = tf.div(tf.neg(tf.sum(tf.mul(oneHot, tf.log(clamped)))), pixels) as tf.Scalar;
    save([p, oneHot]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [ps, target] = saved;
        const inRange = tf.logicalAnd(tf.greaterEqual(ps, eps), tf.lessEqual(ps, 1));
        const grad = tf.div(tf.neg(target), tf.mul(tf.clipByValue(ps, eps, 1), pixels));
        return tf.mul(tf.where(inRange, grad, tf.zerosLike(grad)), dy);
      },
    };
  });
  return tf.tidy(() => op(prob) as tf.Scalar);
}

/**
 * The CrossEntropyLoss stage's loss: {@link crossEntropyLoss} of logits (activation 'softmax'), or
 * {@link crossEntropyFromProbabilities} of probabilities ('none'), which takes no class weights, pixel weights or mask.
 */
export function labelCrossEntropyLoss(prediction: tf.Tensor, oneHot: tf.Tensor, options: CrossEntropyLossParams & PixelWeightOptions): tf.Scalar {
  if (options.activation === 'softmax') return crossEntropyLoss(prediction, oneHot, options);
  if (options.classWeights || options.pixelWeight || options.mask) {
    throw new MicflowError('invalid-argument', `crossEntropyLoss: class weights, pixel weights and masks need activation 'softmax' (logits)`);
  }
  return crossEntropyFromProbabilities(prediction, oneHot);
}

export const crossEntropyLossUnit: LabelledLossUnit<CrossEntropyLossParams> = {
  className: 'CrossEntropyLoss',
  description: 'Pixel-wise cross-entropy against a label map, class/pixel weights, unannotated mask',
  reference: 'PyMIC CrossEntropyLoss (pymic/loss/seg/ce.py); PyTorch nn.CrossEntropyLoss (weighted mean)',
  paramsSchema: crossEntropyLossParams,
  loss: labelCrossEntropyLoss,
};
