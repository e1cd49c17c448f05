import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { analyticAndNumericGradient, maxAbsDifference, pseudoRandom } from './tensor-test-helpers.js';

/**
 * Checks a loss's gradient (through tf.variableGrads, as training uses it) against central finite differences at
 * reproducible random inputs of `shape` in [lo, hi): the largest difference must be below `tolerance` times the
 * largest numeric gradient, and the gradient must not be zero. Also checks a call leaves no tensors behind.
 */
export function expectGradientMatchesFiniteDifferences(
  loss: (x: tf.Tensor) => tf.Scalar,
  shape: number[],
  seed: number,
  { lo = -2, hi = 2, eps = 2e-3, tolerance = 2e-2 }: { lo?: number; hi?: number; eps?: number; tolerance?: number } = {},
): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = pseudoRandom(size, seed, lo, hi);
  const x = tf.tensor(values, shape, 'float32');
  const before = tf.memory().numTensors;
  loss(x).dispose();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  const { analytic, numeric } = analyticAndNumericGradient(loss, values, shape, eps);
  const scale = maxAbsDifference(numeric, new Float32Array(size));
  expect(scale).toBeGreaterThan(1e-4);
  expect(Array.from(analytic).every(Number.isFinite)).toBe(true);
  expect(maxAbsDifference(analytic, numeric)).toBeLessThan(tolerance * scale);
  return analytic;
}

/** Integer labels 0..classes-1 spread over `count` pixels. */
export function spreadLabels(count: number, classes: number): number[] {
  return Array.from({ length: count }, (_, i) => (i * 7 + Math.floor(i / 3)) % classes);
}
