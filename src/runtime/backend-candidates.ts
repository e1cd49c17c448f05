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

/**
 * micflow's own CPU backend: tfjs's cpu backend with its hot kernels (convolutions, matmul, elementwise, reductions,
 * slicing) in the oneDNN addon build/micflow_native.node, which `npm install` builds when g++ and oneDNN are present
 * (Debian/Ubuntu: apt-get install libdnnl-dev). Registers the backend named "native".
 */
export const nativeBackendCandidate: BackendCandidate = {
  name: 'native',
  priority: 20,
  async load(tf) {
    const { loadNativeAddon } = await import('./native/native-addon.js');
    const addon = loadNativeAddon();
    if (!addon.loaded) return { available: false, reason: addon.reason };
    await import('@tensorflow/tfjs-backend-cpu');
    const { registerNativeBackend, NATIVE_BACKEND_NAME } = await import('./native/native-backend.js');
    registerNativeBackend(addon.addon);
    return tf.findBackendFactory(NATIVE_BACKEND_NAME)
      ? { available: true, backendName: NATIVE_BACKEND_NAME }
      : { available: false, reason: 'the native addon loaded but registered no "native" backend' };
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

/** The candidates micflow ships, in automatic order. */
export const builtInBackendCandidates: readonly BackendCandidate[] = [
  tensorflowBackendCandidate,
  nativeBackendCandidate,
  wasmBackendCandidate,
  cpuBackendCandidate,
];
