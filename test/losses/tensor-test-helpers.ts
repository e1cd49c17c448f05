import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { z } from 'zod';

/** The backends every loss is checked on. */
export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate (got ${tf.getBackend()})`);
}

/** Reproducible values in [lo, hi) from a small LCG, so tests do not depend on Math.random. */
export function pseudoRandom(count: number, seed: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/**
 * Analytic gradient of `loss` with respect to its input (through tf.variableGrads, as training uses it) and the
 * central finite difference (f(x + eps e_k) - f(x - eps e_k)) / 2 eps for every element k.
 */
export function analyticAndNumericGradient(
  loss: (x: tf.Tensor) => tf.Scalar,
  values: Float32Array,
  shape: number[],
  eps: number,
): { analytic: Float32Array; numeric: Float32Array } {
  const variable = tf.variable(tf.tensor(values, shape, 'float32'), true, undefined, 'float32');
  const { value, grads } = tf.variableGrads(() => loss(variable), [variable]);
  const analytic = grads[variable.name].dataSync() as Float32Array;
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  variable.dispose();

  const numeric = new Float32Array(values.length);
  const evaluate = (x: Float32Array): number =>
    tf.tidy(() => loss(tf.tensor(x, shape, 'float32')).dataSync()[0]);
  for (let k = 0; k < values.length; k++) {
    const plus = Float32Array.from(values);
    const minus = Float32Array.from(values);
    plus[k] += eps;
    minus[k] -= eps;
    numeric[k] = (evaluate(plus) - evaluate(minus)) / (2 * eps);
  }
  return { analytic, numeric };
}

/** Largest |a_k - b_k|. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function scalarValue(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/**
 * A loss's options as a pipeline node gives them: `params` parsed by the loss's params schema (so its defaults are the
 * schema's), with activation 'none' unless `params` names one (these tests mostly feed probabilities), plus the
 * tensors (mask, pixel weights, noisy mask).
 */
export function lossOptions<S extends z.ZodType<object>, T extends object = Record<never, never>>(
  schema: S,
  params: Readonly<Record<string, unknown>> = {},
  tensors?: T,
): z.output<S> & Partial<T> {
  return { ...schema.parse({ activation: 'none', ...params }), ...tensors };
}
