import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';

/**
 * Shared input checks and weighting for the segmentation losses. Only tensor metadata (shape, dtype) is inspected:
 * nothing reads tensor values back to JavaScript.
 */

/** Per-pixel weights accepted by the losses: both have the shape of the prediction without its channel axis. */
export interface PixelWeightOptions {
  /** Non-negative weight per pixel, shape [N,H,W] (the prediction's shape without the channel axis). */
  pixelWeight?: tf.Tensor;
  /** 1 for annotated pixels, 0 for pixels that must not contribute; shape [N,H,W]. */
  mask?: tf.Tensor;
}

/** Checks that prediction and target are channels-last float32 tensors of the same shape; returns the class count. */
export function checkPredictionAndTarget(lossName: string, prediction: tf.Tensor, target: tf.Tensor): number {
  if (prediction.rank < 2) {
    throw new MicflowError('invalid-shape', `${lossName}: prediction must be channels-last [N,H,W,C], got shape [${prediction.shape}]`);
  }
  if (!sameShape(prediction.shape, target.shape)) {
    throw new MicflowError(
      'invalid-shape',
      `${lossName}: prediction shape [${prediction.shape}] and one-hot target shape [${target.shape}] differ` +
        (target.rank === prediction.rank - 1 ? ' (labels look like a class map; convert them with oneHotLabels first)' : ''),
    );
  }
  if (prediction.dtype !== 'float32' || target.dtype !== 'float32') {
    throw new MicflowError(
      'invalid-argument',
      `${lossName}: prediction and one-hot target must be float32, got ${prediction.dtype} and ${target.dtype}`,
    );
  }
  return prediction.shape[prediction.rank - 1];
}

/**
 * Checks that there is one class weight per class. Their values (finite, non-negative, not all zero) are the params
 * schema's guarantee (classWeightsParam); their count depends on the prediction.
 */
export function checkClassWeights(lossName: string, classWeights: readonly number[] | undefined, classes: number): void {
  if (classWeights !== undefined && classWeights.length !== classes) {
    throw new MicflowError('invalid-argument', `${lossName}: ${classWeights.length} class weights given for ${classes} classes`);
  }
}

/** Checks that `pixelWeight` and `mask`, when given, have the prediction's shape without the channel axis. */
export function checkPixelWeights(lossName: string, prediction: tf.Tensor, options: PixelWeightOptions): void {
  const pixelShape = prediction.shape.slice(0, -1);
  for (const [name, tensor] of [
    ['pixelWeight', options.pixelWeight],
    ['mask', options.mask],
  ] as const) {
    if (tensor !== undefined && !sameShape(tensor.shape, pixelShape)) {
      throw new MicflowError(
        'invalid-shape',
        `${lossName}: ${name} shape [${tensor.shape}] must equal the prediction shape without channels [${pixelShape}]`,
      );
    }
  }
}

/**
 * The product of `pixelWeight` and `mask` (either may be absent) as float32, or undefined when neither is given.
 * Shapes must have been checked with {@link checkPixelWeights}. Call inside tf.tidy.
 */
export function combinedPixelWeight(options: PixelWeightOptions): tf.Tensor | undefined {
  let weight: tf.Tensor | undefined;
  for (const tensor of [options.pixelWeight, options.mask]) {
    if (tensor === undefined) continue;
    const asFloat = tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
    weight = weight === undefined ? asFloat : tf.mul(weight, asFloat);
  }
  return weight;
}

/**
 * The denominator of a weighted mean, with 0 replaced by 1: when the total weight is 0 (e.g. every pixel masked out)
 * every weight is 0, so the weighted sum and the result are 0 instead of NaN.
 */
export function nonZeroDenominator(denominator: tf.Tensor): tf.Tensor {
  return tf.where(tf.equal(denominator, 0), tf.onesLike(denominator), denominator);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks a prediction alone (for the regularisers, which have no target): float32, channels last, rank >= 3. */
export function checkPredictionOnly(lossName: string, prediction: tf.Tensor, spatialRanks: readonly number[] = [2, 3]): number {
  if (!spatialRanks.includes(prediction.rank - 2)) {
    throw new MicflowError(
      'invalid-shape',
      `${lossName}: prediction must be channels-last with ${spatialRanks.join(' or ')} spatial axes ([N, H, W, C] or [N, D, H, W, C]), got shape [${prediction.shape}]`,
    );
  }
  if (prediction.dtype !== 'float32') throw new MicflowError('invalid-argument', `${lossName}: prediction must be float32, got ${prediction.dtype}`);
  return prediction.shape[prediction.rank - 1];
}
