import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './native-addon.js';
import { useNativeKeepMask } from '../seeded-random.js';
import { kernelTimeProfileFromEnvironment } from './kernel-time-profile.js';
import { NATIVE_CHANNEL_AFFINE, nativeKernels, nativeOnlyKernels } from './native-kernels.js';

/** The tfjs backend name of micflow's oneDNN backend. */
export const NATIVE_BACKEND_NAME = 'native';

/**
 * micflow's CPU backend: tfjs's pure-JS cpu backend (same tensor storage: one typed array per tensor, channels last)
 * with its hot kernels replaced by calls into the oneDNN addon (native/micflow_native.cc). Every cpu kernel stays
 * registered for this backend, so whatever the addon does not cover still runs, in JavaScript.
 */
export class NativeBackend extends MathBackendCPU {
  /** Float32 buffers of disposed tensors, by length, for native kernels' outputs (fresh 16 MB buffers cost ms each). */
  private readonly pool = new Map<number, Float32Array[]>();
  /** Buffers handed out by {@link allocateFloat32}: only these go back to the pool. */
  private readonly pooled = new WeakSet<Float32Array>();
  private pooledBytes = 0;

  constructor(
    readonly addon: NativeAddon,
    /** Upper bound on the bytes kept in the pool. */
    readonly poolLimitBytes = 2 ** 31,
  ) {
    super();
    // The cpu backend's first write prints advice to install tfjs-node; it does not apply to this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A float32 buffer of `length` elements with arbitrary contents, reused from a disposed tensor when possible. */
  allocateFloat32(length: number): Float32Array {
    const reused = this.pool.get(length)?.pop();
    if (reused) this.pooledBytes -= reused.byteLength;
    const buffer = reused ?? new Float32Array(length);
    this.pooled.add(buffer);
    return buffer;
  }

  override disposeData(dataId: object, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const done = super.disposeData(dataId, force);
    if (done && values instanceof Float32Array && this.pooled.has(values) && !this.data.has(dataId)) {
      if (this.pooledBytes + values.byteLength <= this.poolLimitBytes) {
        const list = this.pool.get(values.length) ?? [];
        list.push(values);
        this.pool.set(values.length, list);
        this.pooledBytes += values.byteLength;
      }
    }
    return done;
  }

  /** Pooled buffers are reused after their tensor is disposed, so readers get a copy they can keep. */
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return values instanceof Float32Array && this.pooled.has(values) ? values.slice() : values;
  }

  override dispose(): void {
    this.pool.clear();
    this.pooledBytes = 0;
    super.dispose();
  }
}

/**
 * Gradient of y = x·scale + shift per channel (MicflowChannelAffine, inference-mode batch norm on native): dx = dy·scale,
 * dscale = Σ dy·x and dshift = Σ dy over every axis but the last.
 */
const channelAffineGradient: tf.GradConfig = {
  kernelName: NATIVE_CHANNEL_AFFINE,
  inputsToSave: ['x', 'scale'],
  gradFunc: (dy, saved) => {
    const [x, scale] = saved;
    const g = dy as tf.Tensor;
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    return {
      x: () => tf.mul(g, scale),
      scale: () => tf.reshape(tf.sum(tf.mul(g, x), axes), scale.shape),
      shift: () => tf.reshape(tf.sum(g, axes), scale.shape),
    };
  },
};

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
  // Dropout masks are drawn in the addon from then on, on every backend: the same draws, about 7x faster.
  useNativeKeepMask((state, out, threshold, keepValue) => addon.keepMask(state, out, threshold, keepValue));
  const natives = new Map(nativeKernels);
  const profile = kernelTimeProfileFromEnvironment();
  for (const config of tf.getKernelsForBackend('cpu')) {
    const native = natives.get(config.kernelName);
    const cpuKernel = config.kernelFunc;
    let kernelFunc: tf.KernelFunc = native
      ? (args) => native(args as Parameters<typeof native>[0], addon) ?? cpuKernel(args)
      : cpuKernel;
    if (profile && native) {
      // Native kernels and their cpu fallbacks are told apart in the table.
      let fellBack = false;
      const timedCpu = (args: Parameters<tf.KernelFunc>[0]) => ((fellBack = true), cpuKernel(args));
      const timed = profile.wrap(config.kernelName, (args) => ((fellBack = false), native(args as Parameters<typeof native>[0], addon) ?? timedCpu(args)), () => fellBack);
      kernelFunc = timed;
    } else if (profile) {
      kernelFunc = profile.wrap(config.kernelName, cpuKernel, () => true);
    }
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  }
  tf.registerGradient(channelAffineGradient);
  for (const [kernelName, native] of nativeOnlyKernels) {
    tf.registerKernel({
      kernelName,
      backendName: NATIVE_BACKEND_NAME,
      kernelFunc: ((kernelFunc: tf.KernelFunc) => (profile ? profile.wrap(kernelName, kernelFunc) : kernelFunc))(
        (args) => native(args as Parameters<typeof native>[0], addon) as tf.TensorInfo | tf.TensorInfo[],
      ),
    });
  }
}
