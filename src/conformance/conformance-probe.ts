import * as tf from '@tensorflow/tfjs-core';
import { relativeError, sizeOf, values } from './conformance-values.js';

/** The backends checked against tfjs's cpu backend. */
export type BackendUnderTest = 'wasm' | 'webgl' | 'native';

/**
 * One thing a check measured and what it must show:
 * - `within`: `error` below `tolerance` (a tolerance of 0 asks for exactly 0);
 * - `defect-shows`: a pinned known defect still shows, `error` above `threshold` (if not, drop the pin);
 * - `throws`: a pinned call still throws an error matching `pattern` (a kernel the backend does not register, or
 *   does not support for this rank).
 * `what` says what was compared, in words fit for an assertion message.
 */
export type Measurement =
  | { kind: 'within'; what: string; error: number; tolerance: number }
  | { kind: 'defect-shows'; what: string; defect: string; error: number; threshold: number }
  | { kind: 'throws'; what: string; defect: string; pattern: string; thrown: string | null };

/** Whether a measurement shows what it must. */
export function measurementHolds(m: Measurement): boolean {
  if (m.kind === 'within') return m.tolerance === 0 ? m.error === 0 : m.error < m.tolerance;
  if (m.kind === 'defect-shows') return m.error > m.threshold;
  return m.thrown !== null && new RegExp(m.pattern).test(m.thrown);
}

/** Above this error a pinned defect counts as still showing (every pinned defect is far above it). */
export const DEFECT_THRESHOLD = 0.01;

/**
 * Runs builders on the backend under test and on cpu (the reference), in one tfjs instance, switching backends
 * between runs, and counts tensors that outlive a run: every check must leave `tf.memory().numTensors` where it was.
 */
export class ConformanceProbe {
  /** Tensors left behind by runs that returned, summed over every run of this probe (must be 0). */
  leakedTensors = 0;
  /**
   * Tensors left behind by runs that threw (a pinned unsupported kernel inside a gradient): tfjs keeps the tensors
   * its tape saved for the backward pass, and a throw in the backward pass leaves them registered.
   */
  leakedAfterThrow = 0;

  constructor(readonly backend: BackendUnderTest) {}

  /** Runs `build` on `backend`, returns every output's values, disposes them and counts what stayed. */
  async runOn(backend: string, build: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    await tf.ready();
    const before = tf.memory().numTensors;
    let threw = true;
    try {
      const outputs = tf.tidy(build);
      const list = Array.isArray(outputs) ? outputs : [outputs];
      try {
        const data = list.map((t) => Float32Array.from(t.dataSync()));
        threw = false;
        return data;
      } finally {
        tf.dispose(list);
      }
    } finally {
      const leaked = Math.abs(tf.memory().numTensors - before);
      if (threw) this.leakedAfterThrow += leaked;
      else this.leakedTensors += leaked;
    }
  }

  /** `build` on the backend under test. */
  run(build: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
    return this.runOn(this.backend, build);
  }

  /** The largest relative error of any output of `build` on the backend under test against cpu. */
  async errorAgainstCpu(build: () => tf.Tensor | tf.Tensor[]): Promise<number> {
    const expected = await this.runOn('cpu', build);
    const actual = await this.run(build);
    return Math.max(...expected.map((e, i) => relativeError(actual[i], e)));
  }

  /** The shape `build` gives on cpu. */
  async shapeOnCpu(build: () => tf.Tensor): Promise<number[]> {
    await tf.setBackend('cpu');
    return tf.tidy(() => build().shape);
  }

  /**
   * A gradient against central differences of L(v) = sum(f(v) * weights), at `coordinates` evenly spread
   * coordinates of v, evaluated on the backend under test, relative to the gradient's largest magnitude. For the
   * linear maps checked (convolutions in each argument, average pooling) a large step is exact up to rounding.
   */
  async finiteDifferenceError(gradient: Float32Array, point: Float32Array, loss: (v: Float32Array) => tf.Scalar, step: number, coordinates = 5): Promise<number> {
    let worst = 0;
    const scale = Math.max(1e-3, ...Array.from(gradient, Math.abs));
    for (let c = 0; c < coordinates; c++) {
      const at = Math.floor(((c + 0.5) / coordinates) * point.length);
      const plus = Float32Array.from(point);
      const minus = Float32Array.from(point);
      plus[at] += step;
      minus[at] -= step;
      const [lp] = await this.run(() => loss(plus));
      const [lm] = await this.run(() => loss(minus));
      worst = Math.max(worst, Math.abs((lp[0] - lm[0]) / (2 * step) - gradient[at]) / scale);
    }
    return worst;
  }
}

/** A tensor of LCG values of this shape. */
export const input = (shape: readonly number[], seed: number): tf.Tensor => tf.tensor(values(sizeOf(shape), seed), [...shape]);
