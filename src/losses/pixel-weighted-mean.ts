import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { combinedPixelWeight, nonZeroDenominator, type PixelWeightOptions } from './loss-inputs.js';

/**
 * Weighted mean of a per-pixel value [N, ...spatial] with the pixel weight w_i = pixelWeight_i * mask_i:
 * sum_i w_i v_i / sum_i w_i, or the plain mean when neither weight is given. When every weight is 0 (all pixels
 * unannotated) the result is 0 with zero gradient, not NaN. Shapes must have been checked with checkPixelWeights.
 * Call inside tf.tidy.
 */
export function pixelWeightedMean(perPixel: tf.Tensor, options: PixelWeightOptions): tf.Scalar {
  const weight = combinedPixelWeight(options);
  if (weight === undefined) return tf.mean(perPixel);
  return tf.div(tf.sum(tf.mul(weight, perPixel)), nonZeroDenominator(tf.sum(weight))) as tf.Scalar;
}

/**
 * The pixel weights as a column [pixels, 1] matching a prediction flattened to [pixels, C], or ones when neither
 * weight is given. Call inside tf.tidy.
 */
export function pixelWeightColumn(options: PixelWeightOptions, pixels: number): tf.Tensor2D {
  const weight = combinedPixelWeight(options);
  return (weight === undefined ? tf.ones([pixels, 1]) : tf.reshape(weight, [pixels, 1])) as tf.Tensor2D;
}
