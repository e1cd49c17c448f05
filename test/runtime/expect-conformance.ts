import { expect } from 'vitest';
import type { CheckOutcome } from '../../src/conformance/index.js';

/**
 * Asserts what a conformance check measured (src/conformance): every measurement within its tolerance, every pinned
 * defect still showing, every pinned unregistered or unsupported kernel still throwing, and no tensor left behind by a
 * run that returned. Runs that threw may leave what tfjs's tape kept for the backward pass, and only pinned throwing
 * defects may throw.
 */
export function expectConformance(outcome: CheckOutcome): void {
  for (const m of outcome.measurements) {
    if (m.kind === 'within' && m.tolerance === 0) expect(m.error, m.what).toBe(0);
    else if (m.kind === 'within') expect(m.error, m.what).toBeLessThan(m.tolerance);
    else if (m.kind === 'defect-shows') expect(m.error, `${m.what} (pinned: ${m.defect})`).toBeGreaterThan(m.threshold);
    else expect(m.thrown, `${m.what} (pinned: ${m.defect})`).toMatch(new RegExp(m.pattern));
  }
  expect(outcome.measurements.length, `${outcome.id} measured nothing`).toBeGreaterThan(0);
  expect(outcome.leakedTensors, `${outcome.id}: tensors left behind`).toBe(0);
  if (!outcome.measurements.some((m) => m.kind === 'throws')) expect(outcome.leakedAfterThrow, `${outcome.id}: tensors left behind by a throw`).toBe(0);
}
