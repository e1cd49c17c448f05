import * as tf from '@tensorflow/tfjs-core';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { activatePrediction, type ActivatedLossOptions } from './loss-activation.js';
import { checkLossParameter, checkPixelWeights, checkPredictionOnly, combinedPixelWeight, nonZeroDenominator } from './loss-inputs.js';

/** One Gaussian kernel of the affinity: weight exp(-|dxy|^2 / 2 xy^2 - |dI|^2 / 2 image^2), each term optional. */
export interface GatedCrfKernel {
  weight: number;
  /** Spatial bandwidth in pixels (PyMIC's 'xy'). */
  xy?: number;
  /** Intensity bandwidth in image units (PyMIC's 'rgb'); needs the image. */
  image?: number;
}

export interface GatedCrfOptions extends ActivatedLossOptions {
  /** The affinity's kernels, summed. Default [{ weight: 1, xy: 6, image: 0.1 }] as in PyMIC's weakly supervised demos. */
  kernels?: readonly GatedCrfKernel[];
  /** Neighbourhood radius r: pairs within a (2r + 1)^2 window. Default 5. */
  radius?: number;
}

/**
 * Gated CRF loss (Potts model), 2D, channels last: prediction [N, H, W, C] and, when a kernel has an image term,
 * image [N, H, W, K]. For pixel i and each neighbour j != i in its (2r + 1)^2 window that lies inside the image,
 *   K_ij = sum_k weight_k exp(-|x_i - x_j|^2 / (2 xy_k^2) - |I_i - I_j|^2 / (2 image_k^2)),
 *   loss = sum_i sum_j g_i g_j K_ij (1 - sum_c p_ic p_jc) / D,
 * where g = pixelWeight * mask is the gate (PyMIC's source and destination masks: unannotated-only or
 * valid-region-only CRFs) and D = sum_i g_i (at least 1), or N H W without a gate. It pulls neighbours with similar
 * intensities towards the same class.
 *
 * PyMIC (after the authors' code) unfolds zero-padded maps, so a pixel near the border also pairs with zero-feature
 * positions outside the image; those pairs do not depend on the prediction (p_j = 0 there), so they only add a
 * constant. Here they are left out: same gradient, and a loss that reaches 0 for a constant prediction.
 *
 * Reference: A. Obukhov, S. Georgoulis, D. Dai, L. Van Gool, "Gated CRF Loss for Weakly Supervised Semantic Image
 * Segmentation", arXiv:1906.04651, 2019; PyMIC `GatedCRFLoss` (pymic/loss/seg/gatedcrf.py). Differentiable by tfjs
 * autodiff (pad, slice, mul, sum).
 */
export function gatedCrfLoss(prediction: tf.Tensor, image: tf.Tensor | undefined, options: GatedCrfOptions = {}): tf.Scalar {
  const name = 'gatedCrfLoss';
  checkPredictionOnly(name, prediction, [2]);
  checkPixelWeights(name, prediction, options);
  const kernels = options.kernels ?? [{ weight: 1, xy: 6, image: 0.1 }];
  const radius = options.radius ?? 5;
  checkLossParameter(name, 'radius', radius, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  if (kernels.length === 0) throw new MicflowError('invalid-argument', `${name}: kernels is empty`);
  for (const k of kernels) {
    checkLossParameter(name, 'kernel weight', k.weight, (v) => v >= 0, '>= 0');
    if (k.xy !== undefined) checkLossParameter(name, 'kernel xy', k.xy, (v) => v > 0, '> 0');
    if (k.image !== undefined) checkLossParameter(name, 'kernel image', k.image, (v) => v > 0, '> 0');
    if (k.xy === undefined && k.image === undefined) throw new MicflowError('invalid-argument', `${name}: a kernel needs an xy or image bandwidth`);
  }
  const needsImage = kernels.some((k) => k.image !== undefined);
  if (needsImage && image === undefined) throw new MicflowError('invalid-argument', `${name}: a kernel has an image bandwidth but no image was given`);
  if (image !== undefined && (image.rank !== 4 || image.shape.slice(0, 3).join('x') !== prediction.shape.slice(0, 3).join('x'))) {
    throw new MicflowError('invalid-shape', `${name}: image shape [${image.shape}] must be [N, H, W, K] matching the prediction [${prediction.shape}]`);
  }
  const [n, h, w] = prediction.shape as number[];
  const r = radius;
  return tf.tidy(() => {
    const p = activatePrediction(prediction, options.activation ?? 'none');
    const gateTensor = combinedPixelWeight(options);
    const gate = gateTensor === undefined ? undefined : tf.expandDims(gateTensor, -1); // [N, H, W, 1]
    const pad = (t: tf.Tensor) => tf.pad(t, [[0, 0], [r, r], [r, r], [0, 0]]);
    const shifted = (padded: tf.Tensor, dy: number, dx: number) =>
      tf.slice(padded, [0, r + dy, r + dx, 0], [n, h, w, padded.shape[3] as number]);
    const paddedP = pad(p);
    const paddedInside = pad(tf.ones([n, h, w, 1]));
    const paddedGate = gate === undefined ? undefined : pad(gate);
    const intensities = needsImage ? tf.cast(image as tf.Tensor, 'float32') : undefined;
    const paddedImage = intensities === undefined ? undefined : pad(intensities);
    const terms: tf.Tensor[] = [];
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        if (dy === 0 && dx === 0) continue;
        const imageDistance =
          intensities === undefined
            ? undefined
            : tf.sum(tf.square(tf.sub(intensities, shifted(paddedImage as tf.Tensor, dy, dx))), -1, true);
        let affinity: tf.Tensor | undefined;
        for (const k of kernels) {
          let exponent: tf.Tensor = tf.scalar(k.xy === undefined ? 0 : -(dy * dy + dx * dx) / (2 * k.xy * k.xy));
          if (k.image !== undefined) exponent = tf.sub(exponent, tf.div(imageDistance as tf.Tensor, 2 * k.image * k.image));
          const term = tf.mul(tf.exp(exponent), k.weight);
          affinity = affinity === undefined ? term : tf.add(affinity, term);
        }
        let pairWeight = tf.mul(affinity as tf.Tensor, shifted(paddedInside, dy, dx));
        if (gate !== undefined) pairWeight = tf.mul(pairWeight, tf.mul(gate, shifted(paddedGate as tf.Tensor, dy, dx)));
        const agreement = tf.sum(tf.mul(p, shifted(paddedP, dy, dx)), -1, true);
        terms.push(tf.sum(tf.mul(pairWeight, tf.sub(1, agreement))));
      }
    }
    const denominator = gate === undefined ? tf.scalar(n * h * w) : tf.maximum(tf.sum(gate), 1);
    return tf.div(tf.addN(terms), nonZeroDenominator(denominator)) as tf.Scalar;
  });
}
