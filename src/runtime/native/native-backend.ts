import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './native-addon.js';
import { nativeKernels } from './native-kernels.js';

/** The tfjs backend name of micflow's oneDNN backend. */
export const NATIVE_BACKEND_NAME = 'native';

/**
 * micflow's CPU backend: tfjs's pure-JS cpu backend (same tensor storage: one typed array per tensor, channels last)
 * with its hot kernels replaced by calls into the oneDNN addon (native/micflow_native.cc). Every cpu kernel stays
 * registered for this backend, so whatever the addon does not cover still runs, in JavaScript.
 */
export class NativeBackend extends MathBackendCPU {
  constructor(readonly addon: NativeAddon) {
    super();
    // The cpu backend's first write prints advice to install tfjs-node; it does not apply to this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/** Kernels that the native backend runs in oneDNN/OpenMP rather than in the cpu backend's JavaScript. */
export const nativeKernelNames: readonly string[] = nativeKernels.map(([name]) => name);

/**
 * Registers the backend under {@link NATIVE_BACKEND_NAME}: every cpu kernel for it, with the native kernels in
 * front (a native kernel that declines a call — an unsupported dtype, layout or shape — hands it to the cpu one).
 * Idempotent. Importing @tensorflow/tfjs-backend-cpu first makes its kernels available to copy.
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackendFactory(NATIVE_BACKEND_NAME)) return;
  tf.registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(addon), 1);
  const natives = new Map(nativeKernels);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const native = natives.get(config.kernelName);
    const cpuKernel = config.kernelFunc;
    const kernelFunc: tf.KernelFunc = native
      ? (args) => native(args as Parameters<typeof native>[0], addon) ?? cpuKernel(args)
      : cpuKernel;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  }
}
