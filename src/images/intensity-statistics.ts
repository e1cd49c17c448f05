import type { ImageArray } from './image-array.js';

/** Number of channels of a channels-last image. */
export function channelCount(image: ImageArray): number {
  return image.shape[image.shape.length - 1];
}

/** The values of channel `k`, optionally only where `include(point)` holds. */
export function channelValues(image: ImageArray, k: number, include?: (point: number) => boolean): Float32Array {
  const c = channelCount(image);
  const points = image.data.length / c;
  const out = new Float32Array(points);
  let n = 0;
  for (let p = 0; p < points; p++) if (!include || include(p)) out[n++] = image.data[p * c + k];
  return out.subarray(0, n);
}

/** Mean and population standard deviation (two-pass, in float64). */
export function meanAndStd(values: Float32Array): { mean: number; std: number } {
  if (!values.length) return { mean: 0, std: 0 };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(squares / values.length) };
}

/** Minimum and maximum (0, 0 for no values). */
export function minAndMax(values: Float32Array): { min: number; max: number } {
  if (!values.length) return { min: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Percentiles (0..100) with linear interpolation between order statistics, as numpy's default `percentile`. */
export function percentiles(values: Float32Array, qs: readonly number[]): number[] {
  if (!values.length) return qs.map(() => 0);
  const sorted = Float32Array.from(values).sort();
  return qs.map((q) => {
    const position = (q / 100) * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, sorted.length - 1);
    return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
  });
}

/** A new image whose channel k is `transform(k)` applied to every value of channel k. */
export function mapChannels(image: ImageArray, transform: (k: number) => (value: number) => number): ImageArray {
  const c = channelCount(image);
  const out = new Float32Array(image.data.length);
  for (let k = 0; k < c; k++) {
    const f = transform(k);
    for (let i = k; i < image.data.length; i += c) out[i] = f(image.data[i]);
  }
  return { data: out, shape: image.shape };
}
