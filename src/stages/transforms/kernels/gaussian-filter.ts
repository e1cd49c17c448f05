import { pointCount, spatialStrides, type Grid } from './grid.js';

/** Normalised 1D Gaussian weights over [-radius, radius], radius = ceil(truncate·σ) (scipy's gaussian_filter1d). */
export function gaussianKernel(sigma: number, truncate = 3): Float64Array {
  const radius = Math.max(0, Math.ceil(truncate * sigma));
  const weights = new Float64Array(2 * radius + 1);
  if (sigma <= 0) {
    weights[radius] = 1;
    return weights;
  }
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += weights[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}

/**
 * Separable Gaussian smoothing of every channel along every spatial axis with `sigmas[axis]` (grid points),
 * borders extended with the edge value (scipy.ndimage.gaussian_filter with mode='nearest').
 */
export function gaussianFilter(grid: Grid<Float32Array>, sigmas: readonly number[]): Grid<Float32Array> {
  const { spatial, channels } = grid;
  const strides = spatialStrides(spatial);
  let current = Float32Array.from(grid.data);
  let next = new Float32Array(current.length);
  const total = pointCount(spatial);
  for (let axis = 0; axis < spatial.length; axis++) {
    if (!(sigmas[axis] > 0)) continue;
    const kernel = gaussianKernel(sigmas[axis]);
    const radius = (kernel.length - 1) / 2;
    const size = spatial[axis];
    const stride = strides[axis];
    for (let point = 0; point < total; point++) {
      const position = Math.floor(point / stride) % size;
      const lineStart = point - position * stride;
      for (let k = 0; k < channels; k++) {
        let sum = 0;
        for (let t = -radius; t <= radius; t++) {
          const j = Math.min(size - 1, Math.max(0, position + t));
          sum += kernel[t + radius] * current[(lineStart + j * stride) * channels + k];
        }
        next[point * channels + k] = sum;
      }
    }
    [current, next] = [next, current];
  }
  return { data: current, spatial: [...spatial], channels };
}
