import type { BackendUnderTest } from './conformance-probe.js';

/**
 * What a check compares, for choosing how close the backend under test must come:
 * - kernel classes against cpu (norm-relative error, see relativeError): `convolution` (Conv2D/3D forward and
 *   backprop, FusedConv2D), `matmul`, `elementwise` (arithmetic, comparisons, data movement), `transcendental`
 *   (exp, log, sigmoid, tanh, rsqrt, softmax), `reduction` (sums, means, batch-norm statistics), `pooling`;
 * - `op-gradient`: micflow's ops and losses, value and every input's gradient, against cpu;
 * - `finite-differences`: a gradient kernel against central differences of its own forward (linear maps, step 0.5),
 *   and micflow's 3D ops likewise (convolutions step 0.5; batch norm with a leaky ReLU, in x, step 1e-2);
 * - `finite-differences-max-pool`: the same for max pooling (piecewise linear, step 1e-3, so float32 rounding of the
 *   loss difference dominates), the raw kernels and maxPool3d2x2x2;
 * - `tied-gradient`: which element of a window of equal maxima gets the gradient (exact: 0).
 */
export type ToleranceClass =
  | 'convolution'
  | 'matmul'
  | 'elementwise'
  | 'transcendental'
  | 'reduction'
  | 'pooling'
  | 'op-gradient'
  | 'finite-differences'
  | 'finite-differences-max-pool'
  | 'tied-gradient';

/** Kernels against cpu on a backend computing in float32 with cpu-like accumulation: 2e-4 relative to the norm. */
const CPU_LIKE = 2e-4;

const BASE: Record<ToleranceClass, number> = {
  convolution: CPU_LIKE,
  matmul: CPU_LIKE,
  elementwise: CPU_LIKE,
  transcendental: CPU_LIKE,
  reduction: CPU_LIKE,
  pooling: CPU_LIKE,
  'op-gradient': 1e-3,
  'finite-differences': 1e-3,
  'finite-differences-max-pool': 2e-2,
  'tied-gradient': 0,
};

/**
 * Tolerances by backend under test and class. wasm (XNNPACK) and native (oneDNN) compute in float32 like cpu.
 *
 * webgl gets the same, deliberately not looser: with float32 textures (WEBGL_RENDER_FLOAT32_ENABLED, which the
 * chromium test asserts) its shaders compute in IEEE float32 and differ from cpu only in summation order. Measured on
 * chromium's WebGL 2 over SwiftShader, the worst errors per class were: convolution 3.2e-7, matmul 2.9e-7,
 * elementwise 6.5e-8, transcendental 1.6e-7, reduction 2.2e-7, pooling 1.4e-7, op-gradient 1.5e-5 (batch norm of
 * values around 50; the 3D ops 6.9e-6), finite-differences 6.5e-7 for the raw kernels and 2.2e-5 for micflow's 3D ops
 * (batch norm with a leaky ReLU, whose loss is not linear), finite-differences-max-pool 9.4e-5, tied-gradient 0: well
 * inside the float32 tolerances, so a looser webgl tolerance would only hide defects. A GPU
 * rendering to half-float textures (16-bit, about 1e-3 relative) would fail these; the checks are not meant for one.
 */
export const TOLERANCES: Record<BackendUnderTest, Record<ToleranceClass, number>> = {
  wasm: BASE,
  native: BASE,
  webgl: BASE,
};

export const toleranceOf = (backend: BackendUnderTest, what: ToleranceClass): number => TOLERANCES[backend][what];
