import { ConformanceProbe, type BackendUnderTest, type Measurement } from './conformance-probe.js';

/**
 * One named conformance check: it runs kernels on the backend under test (and on cpu) and reports what it measured.
 * It asserts nothing itself, so the same check runs under vitest in Node and in a browser tab, where the test reads
 * its outcome back.
 */
export interface ConformanceCheck {
  /** The family it belongs to (a describe block of the Node test). */
  readonly group: string;
  /** Unique over every check, backend-independent: the kernel or op and the case. */
  readonly id: string;
  /** The backends it is meant for, where not every backend (checks added for one backend's limits). */
  readonly backends?: readonly BackendUnderTest[];
  /** What it checks on `backend`, as a test title ("when wasm runs ... should ..."). */
  title(backend: BackendUnderTest): string;
  /** Measures on `probe.backend`; throws only where something unexpected threw. */
  measure(probe: ConformanceProbe): Promise<Measurement[]>;
}

/** Whether `check` is meant for `backend`. */
export const checksBackend = (check: ConformanceCheck, backend: BackendUnderTest): boolean => !check.backends || check.backends.includes(backend);

/** What running one check on one backend gave. */
export interface CheckOutcome {
  id: string;
  group: string;
  title: string;
  backend: BackendUnderTest;
  measurements: Measurement[];
  /** Tensors that outlived the check's runs that returned (must be 0). */
  leakedTensors: number;
  /** Tensors that outlived runs that threw (see ConformanceProbe.leakedAfterThrow; only pinned throwing defects throw). */
  leakedAfterThrow: number;
  milliseconds: number;
}

/** Runs `check` on `backend`. */
export async function runCheck(check: ConformanceCheck, backend: BackendUnderTest): Promise<CheckOutcome> {
  const probe = new ConformanceProbe(backend);
  const started = performance.now();
  const measurements = await check.measure(probe);
  return {
    id: check.id,
    group: check.group,
    title: check.title(backend),
    backend,
    measurements,
    leakedTensors: probe.leakedTensors,
    leakedAfterThrow: probe.leakedAfterThrow,
    milliseconds: performance.now() - started,
  };
}
