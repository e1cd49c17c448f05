import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { pixelNeighbourhood, type PixelNeighbourhood } from '../runtime/ops/pixel-neighbourhood.js';
import { weightedNeighbourDisagreement } from '../runtime/ops/weighted-neighbour-disagreement.js';
import { activatePrediction, lossActivationParam } from './loss-activation.js';
import { checkPixelWeights, checkPredictionOnly, combinedPixelWeight, type PixelWeightOptions } from './loss-inputs.js';

/** One Gaussian kernel of the affinity: weight exp(-|dxy|^2 / 2 xy^2 - |dI|^2 / 2 image^2), each term optional. */
export const gatedCrfKernelParam = z
  .object({
    weight: z.number().nonnegative().describe("The kernel's weight in the summed affinity, ≥ 0"),
    xy: z.number().positive().optional().describe("Spatial bandwidth in pixels (PyMIC's `xy`); without it the kernel ignores position"),
    image: z.number().positive().optional().describe("Intensity bandwidth in image units (PyMIC's `rgb`); needs the image input"),
  })
  .strict()
  .refine((k) => k.xy !== undefined || k.image !== undefined, { message: 'a kernel needs an xy or image bandwidth' });
export type GatedCrfKernel = z.output<typeof gatedCrfKernelParam>;

export const gatedCrfLossParams = z
  .object({
    activation: lossActivationParam,
    kernels: z
      .array(gatedCrfKernelParam)
      .min(1)
      .default([{ weight: 1, xy: 6, image: 0.1 }])
      .describe("The affinity's Gaussian kernels, summed; the default is the one of PyMIC's weakly supervised demos"),
    radius: z.number().int().positive().default(5).describe('Neighbourhood radius r in pixels: pairs within a (2r + 1)² window'),
  })
  .strict();
export type GatedCrfLossParams = z.output<typeof gatedCrfLossParams>;
export type GatedCrfOptions = GatedCrfLossParams & PixelWeightOptions;

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
 * The gate and the affinities are constants (no gradient flows into a mask or the image); the pair weights
 * g_i g_j K_ij are computed once per call in [N, S, H·W] and the pairwise sum runs as one fused op with its own
 * gradient ({@link weightedNeighbourDisagreement}). `npm run bench -- --rows gatedcrf --vs-torch` (4×64²×5, r = 5,
 * gated, one thread, load 4.5–6.8): 0.31–0.42 s forward + backward on native, 0.32–0.47 s on wasm, against 0.27–0.30 s
 * for PyTorch 1.13 running PyMIC's unfold formulation (ratios 1.03–1.39 native). The former formulation, one shifted
 * slice per offset (~1800 tensor ops at r = 5), was about 2× slower on native and 4.5× on wasm, side by side.
 *
 * Reference: A. Obukhov, S. Georgoulis, D. Dai, L. Van Gool, "Gated CRF Loss for Weakly Supervised Semantic Image
 * Segmentation", arXiv:1906.04651, 2019; PyMIC `GatedCRFLoss` (pymic/loss/seg/gatedcrf.py). Differentiable by tfjs
 * autodiff through the activation, the pairwise op's own gradient.
 */
export function gatedCrfLoss(prediction: tf.Tensor, image: tf.Tensor | undefined, options: GatedCrfOptions): tf.Scalar {
  const name = 'gatedCrfLoss';
  checkPredictionOnly(name, prediction, [2]);
  checkPixelWeights(name, prediction, options);
  const { kernels, radius } = options;
  const needsImage = kernels.some((k) => k.image !== undefined);
  if (needsImage && image === undefined) throw new MicflowError('invalid-argument', `${name}: a kernel has an image bandwidth but no image was given`);
  if (image !== undefined && (image.rank !== 4 || image.shape.slice(0, 3).join('x') !== prediction.shape.slice(0, 3).join('x'))) {
    throw new MicflowError('invalid-shape', `${name}: image shape [${image.shape}] must be [N, H, W, K] matching the prediction [${prediction.shape}]`);
  }
  const [n, h, w] = prediction.shape as number[];
  const neighbourhood = pixelNeighbourhood(h, w, radius);
  return tf.tidy(() => {
    const p = activatePrediction(prediction, options.activation) as tf.Tensor4D;
    const gateTensor = combinedPixelWeight(options);
    const gate = gateTensor === undefined ? undefined : (gateTensor.dataSync() as Float32Array);
    const intensities = needsImage ? (tf.cast(image as tf.Tensor, 'float32').dataSync() as Float32Array) : undefined;
    const weights = pairWeights(neighbourhood, n, kernels, intensities, intensities === undefined ? 0 : ((image as tf.Tensor).shape[3] as number), gate);
    const denominator = gate === undefined ? n * h * w : Math.max(gate.reduce((a, v) => a + v, 0), 1);
    return tf.div(weightedNeighbourDisagreement(p, weights, neighbourhood), denominator) as tf.Scalar;
  });
}

/** g_i g_j K_ij for every pixel i and offset s, [N, S, H·W] (offset-major); entries of outside neighbours stay 0. */
function pairWeights(
  neighbourhood: PixelNeighbourhood,
  n: number,
  kernels: readonly GatedCrfKernel[],
  intensities: Float32Array | undefined,
  imageChannels: number,
  gate: Float32Array | undefined,
): Float32Array {
  const { offsets, height, width } = neighbourhood;
  const pixels = height * width;
  const weights = new Float32Array(n * offsets.length * pixels);
  const imageDistance = new Float64Array(pixels);
  for (let b = 0; b < n; b++) {
    offsets.forEach((offset, s) => {
      const base = (b * offsets.length + s) * pixels;
      const squaredDistance = offset.dy * offset.dy + offset.dx * offset.dx;
      if (intensities !== undefined) {
        imageDistance.fill(0);
        for (let y = offset.yStart; y < offset.yEnd; y++) {
          for (let i = y * width + offset.xStart, end = y * width + offset.xEnd; i < end; i++) {
            for (let c = 0, a = (b * pixels + i) * imageChannels, z = a + offset.step * imageChannels; c < imageChannels; c++) {
              imageDistance[i] += (intensities[a + c] - intensities[z + c]) ** 2;
            }
          }
        }
      }
      for (const k of kernels) {
        const spatial = k.weight * Math.exp(k.xy === undefined ? 0 : -squaredDistance / (2 * k.xy * k.xy));
        const imageScale = k.image === undefined ? 0 : -1 / (2 * k.image * k.image);
        for (let y = offset.yStart; y < offset.yEnd; y++) {
          for (let i = y * width + offset.xStart, end = y * width + offset.xEnd; i < end; i++) {
            weights[base + i] += imageScale === 0 ? spatial : spatial * Math.exp(imageScale * imageDistance[i]);
          }
        }
      }
      if (gate !== undefined) {
        for (let y = offset.yStart; y < offset.yEnd; y++) {
          for (let i = y * width + offset.xStart, end = y * width + offset.xEnd; i < end; i++) {
            weights[base + i] *= gate[b * pixels + i] * gate[b * pixels + i + offset.step];
          }
        }
      }
    });
  }
  return weights;
}
