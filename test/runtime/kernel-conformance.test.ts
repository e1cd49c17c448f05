/**
 * Kernel conformance: every tfjs kernel micflow's networks and losses run, forward and gradient, on every backend
 * available here (wasm, and the oneDNN "native" backend when its addon is built), against the cpu backend and
 * against finite differences, on odd shapes (non-square, odd sizes, strides, padding variants, dilation, batch > 1,
 * 2D and 3D). The checks, their cases, tolerances and the known-defect tables live in src/conformance (Node-free:
 * test/browser/webgl-conformance-in-chromium.test.ts runs the same checks on webgl in chromium).
 *
 * Known wasm defects (tfjs 4.22) are pinned as known-failing cases: if one starts passing, the test says so. micflow
 * avoids them: it differentiates convolutions, pooling, resizing and batch norm through its own ops in
 * src/runtime/ops, whose gradients use only kernels that conform (on webgl too, where rank-5 PadV2, Reverse and
 * Select do not work).
 *
 * Set MICFLOW_REQUIRE_NATIVE=1 (CI does) to fail instead of skipping the native backend when its addon is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, it } from 'vitest';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { checksBackend, conformanceChecks, conformanceGroups, runCheck, type BackendUnderTest } from '../../src/conformance/index.js';
import { expectConformance } from './expect-conformance.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
/** Backends checked against cpu. */
const BACKENDS: BackendUnderTest[] = ['wasm', ...(native.available ? (['native'] as const) : [])];

describe('kernel conformance', () => {
  for (const group of conformanceGroups) {
    describe(group, () => {
      for (const backend of BACKENDS) {
        for (const check of conformanceChecks.filter((c) => c.group === group && checksBackend(c, backend))) {
          it(check.title(backend), async () => expectConformance(await runCheck(check, backend)));
        }
      }
    });
  }
});
