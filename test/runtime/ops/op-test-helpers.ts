import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import '../../../src/runtime/register-gradients.js';

/** The backends every op is checked on. */
export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate (got ${tf.getBackend()})`);
}

/** Runs `fn` on the cpu backend and switches back to `backend`. */
export async function onCpu<T>(backend: string, fn: () => T): Promise<T> {
  await useBackend('cpu');
  try {
    return fn();
  } finally {
    await useBackend(backend);
  }
}

/** Reproducible values in [lo, hi) from a small LCG, independent of SeededRandom. */
export function pseudoRandom(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

export const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Row-major flat index. */
export function index(shape: readonly number[], ...at: number[]): number {
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * shape[i] + at[i];
  return k;
}

/** max |a - e| / max |e|: a norm-relative error that does not blow up on near-zero entries. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? worst : worst / scale;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-4): void {
  const error = relativeError(actual, expected);
  expect(Number.isFinite(error)).toBe(true);
  expect(error).toBeLessThanOrEqual(tolerance);
}

export interface Input {
  values: Float32Array;
  shape: number[];
}

export function input(shape: number[], seed: number, lo = -1, hi = 1): Input {
  return { values: pseudoRandom(size(shape), seed, lo, hi), shape };
}

type TensorOp = (...inputs: tf.Tensor[]) => tf.Tensor;

/** y = op(inputs) and the gradients of sum(y * projection) with respect to every input, through tf.grads. */
export function tfValueAndGradients(op: TensorOp, inputs: Input[], projection: Float32Array) {
  return tf.tidy(() => {
    const tensors = inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
    const y = op(...tensors);
    const r = tf.tensor(projection, y.shape, 'float32');
    const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(op(...ts), r)))(tensors);
    return {
      y: y.dataSync() as Float32Array,
      yShape: y.shape,
      grads: grads.map((g) => g.dataSync() as Float32Array),
    };
  });
}

/**
 * Central finite differences, in float32 through tfjs, of sum(op(inputs) * projection) with respect to input
 * `which` at the flat indices `at`.
 */
export function tfFiniteDifferences(
  op: TensorOp,
  inputs: Input[],
  projection: Float32Array,
  which: number,
  at: number[],
  eps = 1e-2,
): Float64Array {
  const evaluate = (values: Float32Array): number =>
    tf.tidy(() => {
      const tensors = inputs.map((inp, i) => tf.tensor(i === which ? values : inp.values, inp.shape, 'float32'));
      const y = op(...tensors);
      return tf.sum(tf.mul(y, tf.tensor(projection, y.shape, 'float32'))).dataSync()[0];
    });
  const out = new Float64Array(at.length);
  at.forEach((k, j) => {
    const plus = Float32Array.from(inputs[which].values);
    const minus = Float32Array.from(inputs[which].values);
    plus[k] += eps;
    minus[k] -= eps;
    out[j] = (evaluate(plus) - evaluate(minus)) / (2 * eps);
  });
  return out;
}

/**
 * Gradient of sum(reference(inputs) * projection) with respect to input `which`, by float64 central differences on a
 * plain-JS reference implementation: an independent reference gradient, accurate to ~1e-8 for the smooth or
 * piecewise-linear ops tested here.
 */
export function referenceGradient(
  reference: (inputs: Float64Array[]) => Float64Array,
  inputs: Input[],
  projection: Float32Array,
  which: number,
  eps = 1e-6,
): Float64Array {
  const base = inputs.map((i) => Float64Array.from(i.values));
  const evaluate = (values: Float64Array[]): number => {
    const y = reference(values);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * projection[i];
    return s;
  };
  const out = new Float64Array(base[which].length);
  for (let k = 0; k < out.length; k++) {
    const saved = base[which][k];
    base[which][k] = saved + eps;
    const plus = evaluate(base);
    base[which][k] = saved - eps;
    const minus = evaluate(base);
    base[which][k] = saved;
    out[k] = (plus - minus) / (2 * eps);
  }
  return out;
}

/** A few spread-out flat indices into an array of `length`. */
export function sampleIndices(length: number, count: number): number[] {
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add(Math.floor(((j + 0.5) * length) / count));
  return [...out];
}

export const pick = (values: ArrayLike<number>, at: number[]): number[] => at.map((k) => values[k]);
