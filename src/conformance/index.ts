/**
 * Kernel conformance (issue 19): every tfjs kernel micflow's networks and losses run, forward and gradient, checked
 * on a backend against tfjs's cpu backend and against finite differences, on odd shapes (non-square, odd sizes,
 * strides, padding variants, dilation, batch > 1, 2D and 3D), and micflow's own differentiable ops on top. Node-free:
 * test/runtime/kernel-conformance.test.ts runs the checks on wasm and native under vitest,
 * test/browser/webgl-conformance-in-chromium.test.ts on webgl in a chromium tab (build/browser/conformance.js).
 *
 * Known defects are pinned per backend in known-defects.ts; a check asserts that a pinned defect still shows, so one
 * fixed upstream fails with "drop it from the known defects". Tolerances per backend and kernel class: tolerances.ts.
 * On wasm and native micflow avoids every pinned defect: it differentiates convolutions, pooling, resizing and batch
 * norm through its own ops in src/runtime/ops, whose gradients use only kernels that conform there (the op-gradient
 * checks show it per backend).
 *
 * Known webgl defects (tfjs 4.22, chromium's WebGL 2 over SwiftShader, float32 textures):
 * - PadV2 of rank 5: the packed pad shader does not compile ("Failed to compile fragment shader"), and with it
 *   slice's gradient of a rank-5 tensor;
 * - Reverse of rank 5: "not yet supported";
 * - Select of rank 5: "not yet supported", and with it tfjs's own LeakyRelu gradient of a rank-5 tensor;
 * - AvgPoolGrad/AvgPool3DGrad with 'same' padding: agree with cpu, disagree with finite differences of their own
 *   forward (errors 0.22, 0.24, 0.79), as on cpu and wasm.
 * These are pinned as throwing or disagreeing. micflow's ops run none of them: conv3dSame flips its kernel as rank 3
 * and pads through padVolume (two pads of rank <= 4), maxPool3d2x2x2 crops a rank-4 view, and micflow's LeakyRelu
 * gradient (register-gradients.ts) selects on flat views. So its 2D and 3D ops and losses conform on webgl, the 3D ones
 * also against finite differences (op-gradient-checks.ts), and 3D networks train there.
 */
import '../runtime/register-gradients.js';
import type { ConformanceCheck } from './conformance-check.js';
import { convolutionChecks } from './convolution-checks.js';
import { elementwiseChecks } from './elementwise-checks.js';
import { matmulChecks } from './matmul-checks.js';
import { opGradientChecks } from './op-gradient-checks.js';
import { poolingChecks } from './pooling-checks.js';

export { checksBackend, runCheck, type CheckOutcome, type ConformanceCheck } from './conformance-check.js';
export { DEFECT_THRESHOLD, measurementHolds, type BackendUnderTest, type Measurement } from './conformance-probe.js';
export { KNOWN_DEFECTS, knownDefectInCase, knownDefectOf, type DefectKind, type KnownDefect } from './known-defects.js';
export { TOLERANCES, toleranceOf, type ToleranceClass } from './tolerances.js';

/** Every check, by group, in the order the Node test lists them. */
export const conformanceChecks: readonly ConformanceCheck[] = [...convolutionChecks, ...matmulChecks, ...elementwiseChecks, ...poolingChecks, ...opGradientChecks];

/** The groups, in order. */
export const conformanceGroups: readonly string[] = [...new Set(conformanceChecks.map((c) => c.group))];
