import type { BackendUnderTest } from './conformance-probe.js';

/**
 * What goes wrong with a pinned (backend, kernel, case):
 * - `not registered`: the backend has no such kernel (calling it throws);
 * - `unsupported`: the kernel is registered but throws for this case (`thrown` says with what), e.g. for a rank
 *   the backend's shaders do not handle;
 * - `wrong values`: it disagrees with cpu;
 * - `disagrees with finite differences`: it agrees with cpu, but cpu's kernel is not the gradient of its own
 *   forward pass, and finite differences of the forward say so;
 * - `cpu reference wrong`: the backend is right (it matches finite differences) where cpu is not, so it is checked
 *   against finite differences only.
 */
export type DefectKind = 'not registered' | 'unsupported' | 'wrong values' | 'disagrees with finite differences' | 'cpu reference wrong';

export interface KnownDefect {
  /** The tfjs kernel name (Conv2DBackpropFilter, MaxPoolGrad, ...). */
  readonly kernel: string;
  /** The check cases it shows in, by name, or every case of the kernel. */
  readonly cases: 'every case' | readonly string[];
  readonly defect: DefectKind;
  /** For 'unsupported': a regular expression the error must match. */
  readonly thrown?: string;
  /** What is wrong and how micflow avoids it. */
  readonly why: string;
}

const SAME_PADDED_AVG_POOLS = ['2D 3x3 stride 2x1 same on 3x6x7x2', '2D 3x2 stride 1 same on 1x5x6x4', '3D 3x3x3 stride 1x2x1 same on 1x4x5x6x3'];
const AVG_POOL_GRAD_WHY =
  "tfjs's AvgPoolGrad/AvgPool3DGrad divide by the whole window where the forward divides by its in-image part, so with 'same' padding they are not the gradient of their own forward; micflow pools through averagePoolBlocks (src/runtime/ops)";

/**
 * Known defects of tfjs 4.22's backends, pinned: the checks assert that each still shows, so one that is fixed
 * upstream fails its check with "drop it from the known defects".
 */
export const KNOWN_DEFECTS: Record<BackendUnderTest, readonly KnownDefect[]> = {
  wasm: [
    { kernel: 'Conv2DBackpropFilter', cases: 'every case', defect: 'not registered', why: 'no such kernel in tfjs-backend-wasm; conv2dSame computes dW from matMuls' },
    { kernel: 'Conv3DBackpropInputV2', cases: 'every case', defect: 'wrong values', why: "wrong on every case; micflow's 3D convolutions compute input gradients with forward convolutions" },
    {
      kernel: 'Conv3DBackpropFilterV2',
      cases: ['batch 1, 6x5x7, 2x3x2 kernel, stride 2x1x2, valid'],
      defect: 'wrong values',
      why: "wrong when strided; micflow's 3D ops avoid strided filter gradients",
    },
    { kernel: 'MaxPoolGrad', cases: 'every case', defect: 'wrong values', why: 'routes gradients to the wrong elements; micflow pools through maxPool2x2' },
    { kernel: 'MaxPool3D', cases: ['2x2x2 stride 2 valid on 1x5x6x7x3, six inputs'], defect: 'wrong values', why: "the forward is wrong on some inputs of odd size; micflow's 3D networks pool through maxPool3d2x2x2" },
    { kernel: 'AvgPoolGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'disagrees with finite differences', why: AVG_POOL_GRAD_WHY },
    { kernel: 'AvgPool3DGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'disagrees with finite differences', why: AVG_POOL_GRAD_WHY },
  ],
  webgl: [
    // Found on chromium's WebGL 2 over SwiftShader with float32 textures (test/browser/webgl-conformance-in-chromium.test.ts).
    { kernel: 'AvgPoolGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'disagrees with finite differences', why: AVG_POOL_GRAD_WHY },
    { kernel: 'AvgPool3DGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'disagrees with finite differences', why: AVG_POOL_GRAD_WHY },
    // Rank-5 PadV2, Reverse and Select stay tfjs defects; micflow's 3D ops no longer run them (conv3dSame flips its
    // kernel as rank 3 and pads through padVolume, maxPool3d2x2x2 crops a rank-4 view, LeakyRelu's gradient selects
    // on flat views), and their checks pass on webgl.
    {
      kernel: 'PadV2',
      cases: ['PadV2 of rank 5'],
      defect: 'unsupported',
      thrown: 'Failed to compile fragment shader',
      why: "the packed pad shader compares ivec5 coordinates with lessThan, which GLSL has no overload for, so any rank-5 pad (also slice's gradient of a rank-5 tensor) fails to compile; micflow's 3D ops pad and crop rank-4 or rank-3 views instead (padVolume, maxPool3d2x2x2)",
    },
    {
      kernel: 'Reverse',
      cases: ['Reverse of rank 5 over the spatial axes'],
      defect: 'unsupported',
      thrown: 'Reverse of rank-5 tensor is not yet supported',
      why: "webgl's Reverse stops at rank 4; conv3dSame's input gradient flips its kernel as [kd·kh·kw, cin, cout] (rank 3) instead",
    },
    {
      kernel: 'Select',
      cases: ['Select of rank 5'],
      defect: 'unsupported',
      thrown: 'Where for rank 5 is not yet supported',
      why: "webgl's Select stops at rank 4; micflow's LeakyRelu gradient (register-gradients.ts), which 5D batch norm with a leaky activation and the 3D networks differentiate through, selects on flat views instead",
    },
  ],
  native: [
    { kernel: 'AvgPoolGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'cpu reference wrong', why: "oneDNN averages excluding padding both ways, so it matches finite differences where cpu's kernel does not" },
    { kernel: 'AvgPool3DGrad', cases: SAME_PADDED_AVG_POOLS, defect: 'cpu reference wrong', why: "oneDNN averages excluding padding both ways, so it matches finite differences where cpu's kernel does not" },
  ],
};

/** The pattern the error of a pinned throwing defect must match. */
export const thrownPattern = (defect: KnownDefect): string => defect.thrown ?? 'not registered';

/** Whether a pinned defect is a call that throws (then nothing after it can be measured). */
export const throwsDefect = (defect: KnownDefect | undefined): defect is KnownDefect & { defect: 'not registered' | 'unsupported' } => defect?.defect === 'not registered' || defect?.defect === 'unsupported';

/**
 * The pinned defect shown by case `caseName` of micflow's own ops on `backend`, whatever kernel inside it is at fault
 * (`kernel` then names that kernel).
 */
export function knownDefectInCase(backend: BackendUnderTest, caseName: string): KnownDefect | undefined {
  return KNOWN_DEFECTS[backend].find((d) => d.cases !== 'every case' && d.cases.includes(caseName));
}

/** The pinned defect of `kernel` on `backend` in case `caseName`, if any. */
export function knownDefectOf(backend: BackendUnderTest, kernel: string, caseName: string): KnownDefect | undefined {
  return KNOWN_DEFECTS[backend].find((d) => d.kernel === kernel && (d.cases === 'every case' || d.cases.includes(caseName)));
}
