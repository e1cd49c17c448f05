/**
 * The gated CRF row of `npm run bench`: forward + backward of micflow's gatedCrfLoss (src/losses/gated-crf-loss.ts)
 * with respect to the logits, with the scribble-gatedcrf pipeline's kernels and radius and a pixel gate (mask), timed
 * per call. Runs inside a bench child process, on the backend it was given. bench/torch_losses.py computes the same
 * loss the way PyMIC does (F.unfold pair tensors) from the same inputs: both sides draw them from {@link lcgUniform},
 * so the bench can check that the two loss values agree before it prints a ratio.
 */
import { median } from './bench-report.js';

export type GatedCrfRowId = 'gatedcrf';

/** What the gated CRF row computes: logits [batch, size, size, classes], a one-channel image, kernels and radius. */
export interface GatedCrfRowSpec {
  id: GatedCrfRowId;
  batch: number;
  /** Edge length of the square image. */
  size: number;
  classes: number;
  radius: number;
  kernels: ReadonlyArray<{ weight: number; xy?: number; image?: number }>;
}

/** Defaults: pipelines/scribble-gatedcrf.ts's kernels and radius on a batch of 4 of 64x64 with 5 classes. */
export const GATED_CRF_ROW_DEFAULT: GatedCrfRowSpec = {
  id: 'gatedcrf',
  batch: 4,
  size: 64,
  classes: 5,
  radius: 5,
  kernels: [{ weight: 1, xy: 5, image: 0.1 }, { weight: 1, xy: 3 }],
};

/** 'gated CRF loss r=5, batch 4 of 5x64x64, gated' */
export function gatedCrfRowLabel(spec: GatedCrfRowSpec): string {
  return `gated CRF loss r=${spec.radius}, batch ${spec.batch} of ${spec.classes}x${spec.size}x${spec.size}, gated`;
}

/**
 * The inputs' seeds, one stream per tensor; bench/torch_losses.py uses the same. Logits are 6u - 3, the image u and
 * the gate (u < 0.5 ? 1 : 0), all in channels-last order (the PyTorch side permutes to channels first).
 */
export const GATED_CRF_SEEDS = { logits: 1, image: 2, mask: 3 } as const;

/**
 * `count` uniform numbers in [0, 1) from a 32-bit linear congruential generator (state = 1664525 state + 1013904223
 * mod 2^32, Numerical Recipes), the top 24 bits of each state: exactly representable in float32, and trivial to
 * reproduce in Python, so both sides of the bench see bit-identical inputs without exchanging files.
 */
export function lcgUniform(seed: number, count: number): Float64Array {
  const out = new Float64Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state >>> 8) / 2 ** 24;
  }
  return out;
}

export interface GatedCrfTimings {
  /** Median of forward + backward (loss and gradient read back), milliseconds. */
  stepMs: number;
  stepMsAll: number[];
  /** The loss value of the last timed call. */
  loss: number;
  peakRssMb: number;
  liveTensorsBefore: number;
  liveTensorsAfter: number;
  selection: string;
}

/**
 * Median forward + backward of gatedCrfLoss (activation softmax, gradients by tf.variableGrads with respect to the
 * logits, loss and gradient read back) after `warmup` untimed calls. Live tensors are counted after the warm-up and
 * after the last timed call.
 */
export async function timeGatedCrfRow(spec: GatedCrfRowSpec, backend: string, steps: number, warmup: number): Promise<GatedCrfTimings> {
  const tf = await import('@tensorflow/tfjs-core');
  const { TensorRuntime } = await import('../src/runtime/tensor-runtime.js');
  const { gatedCrfLoss } = await import('../src/losses/gated-crf-loss.js');
  const runtime = await TensorRuntime.create({ backend });
  const { batch: n, size, classes } = spec;
  const pixels = n * size * size;
  const logitValues = Float32Array.from(lcgUniform(GATED_CRF_SEEDS.logits, pixels * classes), (u) => 6 * u - 3);
  const initial = tf.tensor4d(logitValues, [n, size, size, classes]);
  const logits = tf.variable(initial);
  initial.dispose();
  const image = tf.tensor4d(Float32Array.from(lcgUniform(GATED_CRF_SEEDS.image, pixels)), [n, size, size, 1]);
  const mask = tf.tensor3d(Float32Array.from(lcgUniform(GATED_CRF_SEEDS.mask, pixels), (u) => (u < 0.5 ? 1 : 0)), [n, size, size]);
  const options = { activation: 'softmax' as const, kernels: [...spec.kernels], radius: spec.radius, mask };
  const call = (): number => {
    const { value, grads } = tf.variableGrads(() => gatedCrfLoss(logits, image, options), [logits]);
    const loss = value.dataSync()[0];
    grads[logits.name].dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  let liveTensorsBefore = 0;
  let loss = NaN;
  const times: number[] = [];
  for (let step = 0; step < warmup + steps; step++) {
    if (step === warmup) liveTensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    loss = call();
    if (step >= warmup) times.push(performance.now() - start);
  }
  const liveTensorsAfter = tf.memory().numTensors;
  return {
    stepMs: median(times) ?? NaN,
    stepMsAll: times.map((t) => Math.round(t * 10) / 10),
    loss,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    liveTensorsBefore,
    liveTensorsAfter,
    selection: runtime.selection.reason,
  };
}
