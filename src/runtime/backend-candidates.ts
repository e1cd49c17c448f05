import type * as tfCore from '@tensorflow/tfjs-core';

/** What loading one backend gave: its registered name, or why it is not available here. */
export type BackendLoadResult = { available: true; backendName: string } | { available: false; reason: string };

/**
 * One backend the runtime may use. `load` registers the backend with tfjs-core (if it can) without activating it.
 * The runtime tries candidates in order; the list is bound in the DI container, so a new backend (the native oneDNN
 * backend, a user's own) joins by binding one more candidate, without editing the selection code.
 */
export interface BackendCandidate {
  /** The name users pass to `--backend` / `MICFLOW_BACKEND`. */
  readonly name: string;
  /** Position in the automatic order: lower is tried first. */
  readonly priority: number;
  load(tf: typeof tfCore): Promise<BackendLoadResult>;
}

function describeLoadError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Cannot find (module|package)/.test(text)) return 'not installed';
  return text.split('\n')[0];
}

/**
 * TensorFlow's C library through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`. Both are optional
 * dependencies: their install scripts download libtensorflow, which fails on offline machines, and npm then leaves
 * them out. When one is present it registers the backend named "tensorflow".
 */
export const tensorflowBackendCandidate: BackendCandidate = {
  name: 'tensorflow',
  priority: 10,
  async load(tf) {
    const reasons: string[] = [];
    for (const packageName of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(packageName);
        if (tf.findBackendFactory('tensorflow')) return { available: true, backendName: 'tensorflow' };
        reasons.push(`${packageName} loaded but registered no "tensorflow" backend`);
      } catch (error) {
        reasons.push(`${packageName} ${describeLoadError(error)}`);
      }
    }
    return { available: false, reason: reasons.join(', ') };
  },
};

/** XNNPACK compiled to WebAssembly (SIMD, one thread in Node). Ships its .wasm files inside the npm package. */
export const wasmBackendCandidate: BackendCandidate = {
  name: 'wasm',
  priority: 30,
  async load(tf) {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      return tf.findBackendFactory('wasm')
        ? { available: true, backendName: 'wasm' }
        : { available: false, reason: '@tensorflow/tfjs-backend-wasm registered no "wasm" backend' };
    } catch (error) {
      return { available: false, reason: `@tensorflow/tfjs-backend-wasm ${describeLoadError(error)}` };
    }
  },
};

/** The pure JavaScript reference backend: always available, slow, and the reference the other backends are tested against. */
export const cpuBackendCandidate: BackendCandidate = {
  name: 'cpu',
  priority: 40,
  async load(tf) {
    await import('@tensorflow/tfjs-backend-cpu');
    return tf.findBackendFactory('cpu')
      ? { available: true, backendName: 'cpu' }
      : { available: false, reason: '@tensorflow/tfjs-backend-cpu registered no "cpu" backend' };
  },
};

/** The candidates micflow ships, in automatic order. The native oneDNN backend slots in at priority 20. */
export const builtInBackendCandidates: readonly BackendCandidate[] = [
  tensorflowBackendCandidate,
  wasmBackendCandidate,
  cpuBackendCandidate,
];
