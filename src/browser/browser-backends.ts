import type { BackendCandidate } from '../runtime/backend-candidates.js';

/** The tfjs backends a tab can run on, by the names `runPipelineInBrowser` takes. */
export type BrowserBackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Where the wasm backend's .wasm files are served (build/browser/ holds them beside the bundle); set before choosing wasm. */
let wasmPaths: string | undefined;
export function setBrowserWasmPaths(prefix: string): void {
  wasmPaths = prefix;
}

/**
 * The browser's backend candidates, in automatic order. Each backend is a separate import (a chunk of its own in the
 * bundle), loaded only when tried: WebGPU where `navigator.gpu` gives an adapter, WebGL 2 (or 1), XNNPACK in
 * WebAssembly, and tfjs's plain JavaScript cpu backend, which is also the reference Node's cpu backend runs.
 */
export const browserBackendCandidates: readonly BackendCandidate[] = [
  {
    name: 'webgpu',
    priority: 10,
    async load(tf) {
      const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
      if (!gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu)' };
      if (!(await gpu.requestAdapter())) return { available: false, reason: 'WebGPU gave no adapter' };
      await import('@tensorflow/tfjs-backend-webgpu');
      return tf.findBackendFactory('webgpu') ? { available: true, backendName: 'webgpu' } : { available: false, reason: 'tfjs-backend-webgpu registered no "webgpu" backend' };
    },
  },
  {
    name: 'webgl',
    priority: 20,
    async load(tf) {
      await import('@tensorflow/tfjs-backend-webgl');
      return tf.findBackendFactory('webgl') ? { available: true, backendName: 'webgl' } : { available: false, reason: 'tfjs-backend-webgl registered no "webgl" backend' };
    },
  },
  {
    name: 'wasm',
    priority: 30,
    async load(tf) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (wasmPaths) wasm.setWasmPaths(wasmPaths);
      return tf.findBackendFactory('wasm') ? { available: true, backendName: 'wasm' } : { available: false, reason: 'tfjs-backend-wasm registered no "wasm" backend' };
    },
  },
  {
    name: 'cpu',
    priority: 40,
    async load(tf) {
      await import('@tensorflow/tfjs-backend-cpu');
      return tf.findBackendFactory('cpu') ? { available: true, backendName: 'cpu' } : { available: false, reason: 'tfjs-backend-cpu registered no "cpu" backend' };
    },
  },
];
