import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The functions of build/micflow_native.node (native/micflow_native.cc): oneDNN convolutions and matrix products and
 * OpenMP elementwise loops over Float32Arrays the caller allocates. Shapes are tfjs's (channels last, HWIO filters).
 */
export interface NativeAddon {
  /** activation: 0 none, 1 (leaky) relu with `alpha`, 2 relu6, 3 elu, 4 sigmoid. Pads/strides/dilations per spatial axis. */
  convForward(
    x: Float32Array, xShape: number[], filter: Float32Array, filterShape: number[], bias: Float32Array | null,
    strides: number[], padBefore: number[], padAfter: number[], dilations: number[], activation: number, alpha: number,
    y: Float32Array, yShape: number[],
  ): void;
  convBackwardData(
    dy: Float32Array, dyShape: number[], filter: Float32Array, filterShape: number[], strides: number[],
    padBefore: number[], padAfter: number[], dilations: number[], dx: Float32Array, dxShape: number[],
  ): void;
  /** With `db` not null, also the bias gradient (dy summed over every axis but the last), in the same pass. */
  convBackwardWeights(
    x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], strides: number[], padBefore: number[],
    padAfter: number[], dilations: number[], dw: Float32Array, dwShape: number[], db: Float32Array | null,
  ): void;
  /** kind 0 max, 1 average excluding padding; 2D or 3D channels-last. */
  poolForward(
    kind: number, x: Float32Array, xShape: number[], yShape: number[], kernel: number[], strides: number[],
    padBefore: number[], padAfter: number[], y: Float32Array,
  ): void;
  /** Gradient of a pooling with respect to its input x, given dy. */
  poolBackward(
    kind: number, x: Float32Array, xShape: number[], yShape: number[], kernel: number[], strides: number[],
    padBefore: number[], padAfter: number[], dy: Float32Array, dx: Float32Array,
  ): void;
  /** out[max(batchA, batchB), m, n] = a[batchA] (m x k, or k x m stored if transposeA) times b[batchB] (k x n or n x k). */
  matmul(
    a: Float32Array, batchA: number, b: Float32Array, batchB: number, m: number, k: number, n: number,
    transposeA: number, transposeB: number, out: Float32Array,
  ): void;
  /** Strides per output axis (0 where broadcast). Ops 0..6 write Float32Array, 10..15 (comparisons) Uint8Array. */
  binary(op: number, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array | Uint8Array, outShape: number[]): void;
  unary(op: number, x: Float32Array | Uint8Array, y: Float32Array, alpha: number): void;
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  /** x as [outer, reduced, inner] -> out [outer, inner]; op 0 sum, 1 mean, 2 max, 3 min. */
  reduce(op: number, x: Float32Array, outer: number, reduced: number, inner: number, out: Float32Array): void;
  /** out (contiguous, outShape) = x[offset + sum(index * strides)]. */
  gather(x: Float32Array | Int32Array | Uint8Array, outShape: number[], strides: number[], offset: number, out: Float32Array | Int32Array | Uint8Array): void;
  /** out[offset + sum(index * strides)] = x (contiguous, shape); 4-byte elements. */
  scatter(x: Float32Array | Int32Array, shape: number[], out: Float32Array | Int32Array, strides: number[], offset: number): void;
  fill(out: Float32Array, value: number): void;
  /** Per-channel mean and biased variance of x viewed as [rows, channels]. */
  channelMoments(x: Float32Array, rows: number, channels: number, mean: Float32Array, variance: Float32Array): void;
  /**
   * y = x * scale[c] + shift[c], x and y viewed as [rows, channels], then, unless `leakyReluAlpha` is null, a leaky ReLU
   * with that negative slope (0: ReLU).
   */
  channelAffine(x: Float32Array, rows: number, channels: number, scale: Float32Array, shift: Float32Array, y: Float32Array, leakyReluAlpha: number | null): void;
  /**
   * Closed-form gradient of training-mode batch norm y = (x - mean) * rstd * gamma + beta over [rows, channels]; with
   * `y` (the output of the batch norm fused with a leaky ReLU of slope `leakyReluAlpha`) not null, of that composition.
   */
  batchNormBackward(
    dy: Float32Array, x: Float32Array, rows: number, channels: number, mean: Float32Array, rstd: Float32Array,
    gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, y: Float32Array | null, leakyReluAlpha: number,
  ): void;
  /**
   * One Adam step with PyTorch's rule over a variable x, its gradient g and moments m, v (all the same length), written
   * to xOut, mOut, vOut; correction_i = 1 − beta_i^step.
   */
  adamUpdate(
    x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, correction1: number, correction2: number, xOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
  ): void;
  /**
   * out [outer, outSize, inner] = a sparse linear map of x [outer, inSize, inner] along its middle axis: row r of the
   * map has `taps` (index, weight) pairs at r * taps (weight 0 pads short rows).
   */
  axisMap(
    x: Float32Array, outer: number, inSize: number, inner: number, index: Int32Array, weight: Float32Array, taps: number,
    outSize: number, out: Float32Array,
  ): void;
  setThreads(count: number): void;
  threads(): number;
  onednnVersion(): string;
  /** The version of this interface the addon was built with (absent before version 2); see NATIVE_ADDON_INTERFACE. */
  /**
   * out[i] = (draw_i < threshold ? 0 : keepValue) for the next out.length draws of xoshiro128** from `state` (4 words,
   * advanced in place): the draws SeededRandom.fillUint32 would make, in its order.
   */
  keepMask(state: Uint32Array, out: Float32Array, threshold: number, keepValue: number): void;
  /**
   * Dropout in one pass from keepMask's draws: y[i] = x[i] · (draw_i < threshold ? 0 : keepValue), kept[i] = 1 where
   * kept; `state` advances by x.length draws. Threads start their shares by jump-ahead, so the draws do not depend on
   * the thread count.
   */
  dropoutForward(state: Uint32Array, x: Float32Array, threshold: number, keepValue: number, y: Float32Array, kept: Uint8Array): void;
  /** An inference batch norm folded into its convolution: kernel · s and (bias − mean) · s + β, s = γ / sqrt(variance + ε). */
  foldConvBatchNorm(
    kernel: Float32Array, bias: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array,
    epsilon: number, outKernel: Float32Array, outBias: Float32Array,
  ): void;
  /** out[r] = the first index of the largest value of row r of x [rows, classes] (tfjs cpu ArgMax's rule). */
  argMaxRows(x: Float32Array, rows: number, classes: number, out: Int32Array): void;
  /** dx[i] = dy[i] · (kept[i] ? keepValue : 0): dropout's gradient. */
  maskedScale(dy: Float32Array, kept: Uint8Array, keepValue: number, dx: Float32Array): void;
  /** The sum of x² over every element of every array, accumulated in double. */
  sumOfSquares(arrays: Float32Array[]): number;
  /** mask [rows, pixels] = 1 for the floor(k[r]) smallest values of each row (ties in index order), else 0. */
  smallestCountMask(values: Float32Array, rows: number, pixels: number, k: Float32Array, mask: Float32Array): void;
  interfaceVersion?(): number;
}

/**
 * The addon interface this code calls (native/micflow_native.cc's kInterfaceVersion). An addon built from an older
 * source would silently ignore arguments added since (e.g. the fused activation of channelAffine), so it is refused.
 */
export const NATIVE_ADDON_INTERFACE = 9;

export type NativeAddonLoad = { loaded: true; addon: NativeAddon; path: string } | { loaded: false; reason: string };

/** Where `npm install` / `npm run build:native` puts the addon, unless MICFLOW_NATIVE_ADDON names another file. */
export function nativeAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MICFLOW_NATIVE_ADDON) return resolve(env.MICFLOW_NATIVE_ADDON);
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', '..', 'build', 'micflow_native.node');
}

const cache = new Map<string, NativeAddonLoad>();

/** Loads the addon once per path; says why when it cannot (not built, or oneDNN's shared library missing at run time). */
export function loadNativeAddon(env: NodeJS.ProcessEnv = process.env): NativeAddonLoad {
  const path = nativeAddonPath(env);
  const known = cache.get(path);
  if (known) return known;
  let result: NativeAddonLoad;
  if (!existsSync(path)) {
    result = {
      loaded: false,
      reason: `addon not built (${path} missing; needs g++ and oneDNN: apt-get install libdnnl-dev, then npm run build:native)`,
    };
  } else {
    // OpenMP threads that spin while waiting (libgomp's default) stall every parallel region when the machine is
    // shared: a UNet2D step took 16-19 s instead of 9-11 s on 2 busy cores. libgomp reads this when the addon loads.
    env.OMP_WAIT_POLICY ??= 'passive';
    try {
      const addon = createRequire(import.meta.url)(path) as NativeAddon;
      const version = addon.interfaceVersion?.() ?? 1;
      result =
        version === NATIVE_ADDON_INTERFACE
          ? { loaded: true, addon, path }
          : {
              loaded: false,
              reason: `addon ${path} has interface ${version}, this micflow needs ${NATIVE_ADDON_INTERFACE} (built from another native/micflow_native.cc; run npm run build:native)`,
            };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      result = { loaded: false, reason: `addon ${path} failed to load: ${text.split('\n')[0]}` };
    }
  }
  cache.set(path, result);
  return result;
}
