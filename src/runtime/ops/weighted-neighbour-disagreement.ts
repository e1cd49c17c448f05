import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PixelNeighbourhood } from './pixel-neighbourhood.js';

/**
 * Σ_b Σ_s Σ_i W[b, s, i] (1 − Σ_c p[b, i, c] p[b, i + s, c]) over every pixel i and each neighbour offset s whose
 * neighbour lies inside the grid: the pairwise term of CRF-style losses (gated CRF). p [N, H, W, C] (probabilities) is
 * differentiated; the pair weights W ([N, S, H·W], offset-major, entries of outside neighbours ignored) are constants.
 *
 * Forward and gradient are fused loops over the host copy of the data (micflow's backends — native, cpu, wasm — keep
 * tensors in host memory), run per offset over the rows that have the neighbour, on channel planes. Written as tensor
 * ops the neighbours of every pixel form an [N, H·W, S, C] tensor (S = 120 at radius 5), several passes over ~10 M
 * values per call.
 * Gradient: ∂/∂p[b, k, c] = −Σ_s W[b, s, k] p[b, k + s, c] − Σ_s W[b, s, k − s] p[b, k − s, c].
 */
export function weightedNeighbourDisagreement(p: tf.Tensor4D, weights: Float32Array, neighbourhood: PixelNeighbourhood): tf.Scalar {
  const [n, h, w, channels] = p.shape;
  const pixels = h * w;
  const { offsets } = neighbourhood;
  if (h !== neighbourhood.height || w !== neighbourhood.width) {
    throw new MicflowError('invalid-shape', `weightedNeighbourDisagreement: p is ${h}×${w}, the neighbourhood's grid ${neighbourhood.height}×${neighbourhood.width}`);
  }
  if (weights.length !== n * offsets.length * pixels) {
    throw new MicflowError('invalid-shape', `weightedNeighbourDisagreement: ${weights.length} pair weights, expected N·S·H·W = ${n * offsets.length * pixels}`);
  }
  const op = tf.customGrad((...args) => {
    const planes = channelPlanes((args[0] as tf.Tensor).dataSync() as Float32Array, n, pixels, channels);
    const total = disagreementSum(planes, weights, neighbourhood, n, channels);
    const gradFunc = (dy: tf.Tensor) => {
      const gradPlanes = disagreementGradient(planes, weights, neighbourhood, n, channels, -dy.dataSync()[0]);
      const grad = new Float32Array(n * pixels * channels);
      for (let b = 0; b < n; b++) {
        for (let c = 0; c < channels; c++) {
          const plane = gradPlanes[b * channels + c];
          for (let i = 0, k = b * pixels * channels + c; i < pixels; i++, k += channels) grad[k] = plane[i];
        }
      }
      return tf.tensor4d(grad, [n, h, w, channels]);
    };
    return { value: tf.scalar(total), gradFunc };
  });
  return op(p) as tf.Scalar;
}

function disagreementSum(planes: Float32Array[], weights: Float32Array, neighbourhood: PixelNeighbourhood, n: number, channels: number): number {
  const { offsets, width, height } = neighbourhood;
  const pixels = width * height;
  const agreement = new Float64Array(pixels);
  let total = 0;
  for (let b = 0; b < n; b++) {
    for (let s = 0; s < offsets.length; s++) {
      const { step, yStart, yEnd, xStart, xEnd } = offsets[s];
      const weightBase = (b * offsets.length + s) * pixels;
      agreement.fill(0);
      for (let c = 0; c < channels; c++) {
        const plane = planes[b * channels + c];
        for (let y = yStart; y < yEnd; y++) {
          const end = y * width + xEnd;
          for (let i = y * width + xStart; i < end; i++) agreement[i] += plane[i] * plane[i + step];
        }
      }
      for (let y = yStart; y < yEnd; y++) {
        const end = y * width + xEnd;
        for (let i = y * width + xStart; i < end; i++) total += weights[weightBase + i] * (1 - agreement[i]);
      }
    }
  }
  return total;
}

/** Per channel plane: scale · (Σ_s W[s, k] p[k + s] + Σ_s W[s, k − s] p[k − s]). */
function disagreementGradient(
  planes: Float32Array[],
  weights: Float32Array,
  neighbourhood: PixelNeighbourhood,
  n: number,
  channels: number,
  scale: number,
): Float32Array[] {
  const { offsets, width, height } = neighbourhood;
  const pixels = width * height;
  const gradPlanes = Array.from({ length: n * channels }, () => new Float32Array(pixels));
  for (let b = 0; b < n; b++) {
    for (let s = 0; s < offsets.length; s++) {
      const { step, yStart, yEnd, xStart, xEnd } = offsets[s];
      const weightBase = (b * offsets.length + s) * pixels;
      for (let c = 0; c < channels; c++) {
        const plane = planes[b * channels + c];
        const grad = gradPlanes[b * channels + c];
        for (let y = yStart; y < yEnd; y++) {
          const end = y * width + xEnd;
          for (let i = y * width + xStart; i < end; i++) {
            const factor = scale * weights[weightBase + i];
            grad[i] += factor * plane[i + step];
            grad[i + step] += factor * plane[i];
          }
        }
      }
    }
  }
  return gradPlanes;
}

/** Channels-last [N, H·W, C] data as N·C planes of H·W values. */
function channelPlanes(values: Float32Array, n: number, pixels: number, channels: number): Float32Array[] {
  const planes: Float32Array[] = [];
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const plane = new Float32Array(pixels);
      for (let i = 0, k = b * pixels * channels + c; i < pixels; i++, k += channels) plane[i] = values[k];
      planes.push(plane);
    }
  }
  return planes;
}
