import { MicflowError } from '../errors/micflow-error.js';

/**
 * Start offsets of windows of length `window` along an axis of length `size` (size ≥ window) so that consecutive windows
 * are at most `stride` apart, the first starts at 0, the last ends at the axis end, and the starts are spread evenly —
 * nnU-Net's `compute_steps_for_sliding_window`: n = ⌈(size − window) / stride⌉ + 1 windows at round(i·(size − window)/(n − 1)),
 * rounding halves to even as numpy's `np.round` does (2.5 → 2).
 */
export function slidingWindowStarts(size: number, window: number, stride: number): number[] {
  if (!Number.isInteger(window) || window < 1 || !Number.isInteger(stride) || stride < 1 || stride > window) {
    throw new MicflowError('invalid-argument', `sliding window: window ${window} and stride ${stride} must be integers with 1 ≤ stride ≤ window`);
  }
  if (size <= window) return [0];
  const count = Math.ceil((size - window) / stride) + 1;
  const step = (size - window) / (count - 1);
  return Array.from({ length: count }, (_, i) => roundHalfToEven(i * step));
}

function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
