import type * as tfCore from '@tensorflow/tfjs-core';
import type { BackendCandidate } from './backend-candidates.js';
import { MicflowError } from '../errors/micflow-error.js';

export interface BackendSelection {
  /** The candidate name chosen (what `--backend` takes). */
  readonly name: string;
  /** One line saying which backend runs and why the ones before it in the order did not. */
  readonly reason: string;
  /** Candidates that were tried and are not available, with why. */
  readonly unavailable: ReadonlyArray<{ name: string; reason: string }>;
}

/**
 * Chooses and activates a tfjs backend. With `requested` set, only that candidate is tried and its failure is an
 * error naming why; otherwise candidates are tried in priority order and the first that loads and initialises wins.
 */
export async function selectBackend(
  tf: typeof tfCore,
  candidates: readonly BackendCandidate[],
  requested: string | undefined,
  requestedFrom = '--backend',
): Promise<BackendSelection> {
  const ordered = [...candidates].sort((a, b) => a.priority - b.priority);
  if (requested !== undefined) {
    const candidate = ordered.find((c) => c.name === requested);
    if (!candidate) {
      throw new MicflowError(
        'unknown-backend',
        `${requestedFrom}: unknown backend "${requested}"; known backends: ${ordered.map((c) => c.name).join(', ')}`,
      );
    }
    const failure = await tryActivate(tf, candidate);
    if (failure !== undefined) {
      throw new MicflowError('backend-unavailable', `${requestedFrom}: backend "${requested}" is not available here: ${failure}`);
    }
    return { name: candidate.name, reason: `backend ${candidate.name} (requested by ${requestedFrom})`, unavailable: [] };
  }
  const unavailable: Array<{ name: string; reason: string }> = [];
  for (const candidate of ordered) {
    const failure = await tryActivate(tf, candidate);
    if (failure === undefined) {
      const why = unavailable.length
        ? `automatic choice; ${unavailable.map((u) => `${u.name}: ${u.reason}`).join('; ')}`
        : 'automatic choice, first in order';
      return { name: candidate.name, reason: `backend ${candidate.name} (${why})`, unavailable };
    }
    unavailable.push({ name: candidate.name, reason: failure });
  }
  throw new MicflowError(
    'backend-unavailable',
    `no tensor backend could be loaded: ${unavailable.map((u) => `${u.name}: ${u.reason}`).join('; ')}`,
  );
}

/** Loads and activates one candidate; returns undefined on success or the reason it failed. */
async function tryActivate(tf: typeof tfCore, candidate: BackendCandidate): Promise<string | undefined> {
  let loaded;
  try {
    loaded = await candidate.load(tf);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (!loaded.available) return loaded.reason;
  try {
    const ok = await tf.setBackend(loaded.backendName);
    await tf.ready();
    if (!ok || tf.getBackend() !== loaded.backendName) return 'registered but failed to initialise';
  } catch (error) {
    return `failed to initialise: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}
