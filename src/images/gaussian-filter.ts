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
    const step = strides[axis] * channels;
    const line = new Float64Array(size + 2 * radius);
    // Every line along `axis` starts at a point whose coordinate on `axis` is 0.
    const lines = total / size;
    const inner = strides[axis];
    for (let l = 0; l < lines; l++) {
      const start = (Math.floor(l / inner) * inner * size + (l % inner)) * channels;
      for (let k = 0; k < channels; k++) {
        for (let i = 0; i < size; i++) line[radius + i] = current[start + k + i * step];
        for (let i = 0; i < radius; i++) {
          line[i] = line[radius];
          line[radius + size + i] = line[radius + size - 1];
        }
        for (let i = 0; i < size; i++) {
          let sum = 0;
          for (let t = 0; t < kernel.length; t++) sum += kernel[t] * line[i + t];
          next[start + k + i * step] = sum;
        }
      }
    }
    [current, next] = [next, current];
  }
  return { data: current, spatial: [...spatial], channels };
}
