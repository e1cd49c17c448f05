/**
 * The kernel conformance checks in a tab (build/browser/conformance.js, issue 19): importing the module exposes
 * `globalThis.micflowConformance`, which loads a backend and the cpu reference into the tab's one tfjs instance and
 * runs checks of src/conformance on it by id. test/browser/webgl-conformance-in-chromium.test.ts drives it on webgl.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conformanceChecks, runCheck, type BackendUnderTest, type CheckOutcome } from '../conformance/index.js';
import { browserBackendCandidates } from './browser-backends.js';

/** What the tab's backend is running on, for the test to check its preconditions (webgl version, float32 textures). */
export interface ConformanceEnvironment {
  backend: string;
  flags: Record<string, unknown>;
}

/** Registers `backend` and cpu (the reference) and makes `backend` current; throws where the backend is not available. */
async function prepare(backend: BackendUnderTest): Promise<ConformanceEnvironment> {
  for (const name of [backend, 'cpu']) {
    const candidate = browserBackendCandidates.find((c) => c.name === name);
    const loaded = candidate ? await candidate.load(tf) : { available: false as const, reason: 'not a browser backend' };
    if (!loaded.available) throw new Error(`backend "${name}" is not available in this tab: ${loaded.reason}`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`);
  await tf.ready();
  const flagNames = ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_RENDER_FLOAT32_CAPABLE', 'WEBGL_PACK', 'WEBGL_DOWNLOAD_FLOAT_ENABLED'];
  const flags = backend === 'webgl' ? Object.fromEntries(flagNames.map((f) => [f, tf.env().get(f)])) : {};
  return { backend: tf.getBackend(), flags };
}

/** Runs the check `id` on `backend` (prepared first). */
async function run(backend: BackendUnderTest, id: string): Promise<CheckOutcome> {
  const check = conformanceChecks.find((c) => c.id === id);
  if (!check) throw new Error(`no conformance check "${id}"`);
  return runCheck(check, backend);
}

(globalThis as { micflowConformance?: unknown }).micflowConformance = { prepare, run, ids: conformanceChecks.map((c) => c.id) };
