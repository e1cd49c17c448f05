import type * as tf from '@tensorflow/tfjs-core';
import { DEFECT_THRESHOLD, type ConformanceProbe, type Measurement } from './conformance-probe.js';
import { knownDefectOf, throwsDefect, thrownPattern, type KnownDefect } from './known-defects.js';
import { toleranceOf, type ToleranceClass } from './tolerances.js';

/** `error` must stay below the backend's tolerance for `what`. */
export function within(probe: ConformanceProbe, what: string, error: number, tolerance: ToleranceClass): Measurement {
  return { kind: 'within', what: `${probe.backend} ${what}`, error, tolerance: toleranceOf(probe.backend, tolerance) };
}

/** A pinned defect must still show: `error` above DEFECT_THRESHOLD. */
export function stillShows(probe: ConformanceProbe, what: string, defect: KnownDefect, error: number, reference = 'cpu'): Measurement {
  return {
    kind: 'defect-shows',
    what: `${probe.backend} ${what} now matches ${reference}: drop it from the known defects`,
    defect: `${defect.defect}: ${defect.why}`,
    error,
    threshold: DEFECT_THRESHOLD,
  };
}

/** Runs `build`, which a pinned 'not registered' or 'unsupported' defect says must throw, and reports what it threw. */
export async function stillThrows(probe: ConformanceProbe, what: string, defect: KnownDefect, build: () => tf.Tensor | tf.Tensor[]): Promise<Measurement> {
  let thrown: string | null = null;
  try {
    await probe.run(build);
  } catch (error) {
    thrown = error instanceof Error ? error.message : String(error);
  }
  const now = defect.defect === 'not registered' ? 'is registered now' : 'no longer throws as pinned';
  return { kind: 'throws', what: `${probe.backend} ${what} ${now}: drop it from the known defects`, defect: `${defect.defect}: ${defect.why}`, pattern: thrownPattern(defect), thrown };
}

/**
 * `build` against cpu, as the known defects say: a 'not registered' or 'unsupported' kernel must still throw, a 'wrong values' one
 * must still disagree, anything else must agree within tolerance. Returns the measurement and whether the kernel was
 * pinned as broken (then a check measures nothing further of it).
 */
export async function comparedWithCpu(
  probe: ConformanceProbe,
  kernel: string,
  caseName: string,
  what: string,
  tolerance: ToleranceClass,
  build: () => tf.Tensor | tf.Tensor[],
): Promise<{ measurement: Measurement; broken: boolean }> {
  const defect = knownDefectOf(probe.backend, kernel, caseName);
  if (throwsDefect(defect)) return { measurement: await stillThrows(probe, what, defect, build), broken: true };
  const error = await probe.errorAgainstCpu(build);
  if (defect?.defect === 'wrong values') return { measurement: stillShows(probe, what, defect, error), broken: true };
  return { measurement: within(probe, what, error, tolerance), broken: false };
}
