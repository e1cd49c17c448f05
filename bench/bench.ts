/**
 * `npm run bench` — how fast micflow trains, infers and loads data on each available backend (not a test).
 *
 *   npm run bench -- [--rows unet2d,unet3d,loader|gatedcrf|pipelines|pipeline:NAME] [--backends native,wasm] [--steps 10] [--warmup 2]
 *                    [--batch 4] [--size 256] [--batch3d 1] [--size3d 64] [--features3d 8,16,32,64,128]
 *                    [--loader-batches 50] [--crf-batch 4] [--crf-size 64] [--vs-torch] [--repeat 1] [--load-threshold 1]
 *                    [--flatness 50] [--json bench-results.json]
 *
 * Rows:
 * - unet2d: PyMIC's UNet2D (16-32-64-128-256, 1,813,218 parameters), batch 4 of 1x256², 2 classes;
 * - unet3d: PyMIC's UNet3D (8-16-32-64-128 by default, 1,337,090 parameters), batch 1 of 1x64³, 2 classes;
 *   both trained with soft Dice + cross-entropy and micflow's Adam stage (lr 1e-3, no weight decay, as torch.optim.Adam), training-mode forward with dropout. Per backend:
 *   the median training step (forward, gradients, Adam update, loss read back), the median inference of one image
 *   (eval mode, no tape, argmax read back), the process's peak RSS, and live tensors after the warm-up and after the
 *   last step (equal when nothing leaks; at least one warm-up step runs, the first creates Adam's moment variables);
 *   and the convolution FLOPs of one training step with what the step reaches: forward 2·N·Cout·spatial_out·Cin·taps
 *   per conv (all of them, 1x1 up-sampling and output convs included), plus the gradients with respect to the conv
 *   inputs and to the kernels, each as many FLOPs again (3x forward; the first conv's input gradient, which nobody
 *   needs, is counted too). The layers are listed from the row's spec (bench/conv-flops.ts) and checked, in the child,
 *   against the kernel variables of the network it built (names and shapes; a mismatch prints "not counted"). The
 *   "conv FLOPs / step time" column is those FLOPs over the median training step, in GFLOP/s and as a share of the
 *   machine's FP32 peak; since the step also runs batch norm, activations, pooling, the losses and Adam, it is a lower
 *   bound on what the conv layers themselves reach. PyTorch's row divides the same FLOPs (same network: the parameter
 *   counts are checked) by its own step. Peak = threads (one core each) × the clock /proc/cpuinfo reports ("cpu MHz" of
 *   the first processor: the nominal or current clock, not a turbo or AVX-512 clock) × FP32 FLOPs per cycle and core
 *   from the CPU flags: 64 with AVX-512 (avx512f: 2 FMA units × 16 floats × 2), 32 with AVX2 and FMA (2 × 8 × 2); it is
 *   printed once, with these assumptions, under the table, and kept as `peak` in --json;
 * - loader: samples/s through CsvDataset -> NormalizeWithMeanStd -> RandomFlip -> RandomCrop -> Batch on
 *   fixtures/brain-mr-2d (crop 80², batch 4) and fixtures/brain-mr-3d (crop 32³, batch 2), first epoch (decoding) and
 *   cached; PyTorch has no counterpart in this bench (no reference);
 * - gatedcrf (only when asked, --rows gatedcrf: about 13 s, 19 s with --vs-torch): micflow's gatedCrfLoss with the
 *   scribble-gatedcrf pipeline's settings (radius 5, kernels {weight 1, xy 5, image 0.1} + {weight 1, xy 3}, softmax) on
 *   logits [4, 64, 64, 5] (--crf-batch, --crf-size), a one-channel image and a pseudo-random 0/1 mask as the gate. Per
 *   backend: the median forward + backward (affinities, loss, tf.variableGrads w.r.t. the logits, loss and gradient
 *   read back), the loss value, peak RSS and live tensors after the warm-up and after the last call (a difference is
 *   flagged and exits 1). Inputs come from a 32-bit LCG that bench/torch_losses.py reproduces (gated-crf-row.ts);
 * - pipelines (only when asked, --rows pipelines: supervised, mean-teacher, cps, coteaching, scribble-gatedcrf; or one
 *   pipeline as --rows pipeline:NAME, any of pipelines/*.ts): one training tick of the bundled pipeline at its defaults
 *   (fixtures/brain-mr-2d; 64² crops, batches of 4, U-Nets 8-16-32-64-128 with 5 classes, Adam lr 1e-3 and weight
 *   decay 1e-5), built as `npm run pipeline -- NAME` builds it but in memory (preparePipelineRun, startPipelineRun with
 *   no run directory) and driven with the compiled pipeline's `tick` (pipeline-row.ts): --warmup ticks (at least one;
 *   the first creates Adam's moments and waits for the first decoded batches) then --steps timed ticks. Per backend
 *   (native alone unless --backends is given): the median s/iteration (IterationEvent.seconds: taking the batches,
 *   forward passes, losses, gradients and the divergence guard's gradient norm, updates, the EMA copy, the reported
 *   scalars read back; no validation, checkpoint or evaluation hooks, which a real run adds every 50 iterations and at
 *   the end), the median data wait within it (IterationEvent.dataSeconds: waiting for the prefetched batch), the
 *   median s/iteration without the data wait (per tick seconds − dataSeconds; medians taken separately, so they need
 *   not add up), the start-up (backend, compile, datasets opened: not in any tick), peak RSS, and live tensors after
 *   the warm-up and after the last tick (growth is flagged and exits 1). With --vs-torch, bench/torch_pipelines.py runs
 *   the pipeline's PyTorch twin with the settings the micflow child read from the validated pipeline (U-Net params,
 *   batch sizes, crop, Adam, EMA decay, input noise, gated CRF kernels, ramp-ups: PipelineTwinSpec), the same
 *   networks (bench/torch_unet.py's UNet2D), losses and optimiser on random tensors of the same shapes: no data
 *   loading on the PyTorch side, so the ratio is micflow's s/iteration without its data wait over PyTorch's. Both sides
 *   count the scalars their optimiser trains; when they differ the row is flagged, gets no ratio and exits 1. The
 *   twins do not compute the guard's gradient norm or read back every reported scalar (PyTorch scripts do not): that is
 *   work micflow's tick does and the ratio includes. Pipelines without a twin are timed with "no ratio".
 *
 * --vs-torch also runs bench/torch_unet.py (the same architecture, loss and optimiser in PyTorch; Debian's
 * python3-torch via /usr/bin/python3, or $MICFLOW_TORCH_PYTHON) per network row with the same thread count and prints
 * micflow / PyTorch per row. Both sides print their trainable parameter count; when they differ the row is flagged,
 * gets no ratio, and the bench exits with status 1. For the gatedcrf row it runs bench/torch_losses.py instead: the
 * same loss the way PyMIC computes it (F.unfold pair tensors, pymic/loss/seg/gatedcrf.py), restricted to inside-image
 * pairs as micflow defines it, on bit-identical inputs; the two loss values must agree to a relative 1e-4, otherwise
 * the row is flagged, gets no ratio, and the bench exits with status 1. The thread count is OMP_NUM_THREADS's (all
 * cores when unset), passed to PyTorch as torch.set_num_threads. --repeat N runs micflow and PyTorch alternately N
 * times per network, gatedcrf or pipeline row and reports the median of the N ratios with their range: on a shared
 * machine the load changes between the two halves of one pair, and alternating shows how much that moves the ratio.
 *
 * Load: for every pair (each repeat of each network, gatedcrf or pipeline row; per backend) the bench reads the
 * 1-minute load average (os.loadavg()[0], the kernel's exponentially damped count of runnable threads, updated every
 * 5 s) just before
 * that backend's micflow child starts ("before") and just after the pair's PyTorch run ends, or after the child without
 * --vs-torch ("after"). "before" is meant as the other work on the machine, but the average forgets with a time
 * constant of a minute, so in a sequence of pairs it still holds the bench's own previous pairs (back to back on a
 * 2-core machine it starts every pair after the first near 2 even when nothing else runs); "after" also counts the
 * pair's own threads, climbing towards their count during any pair that lasts a minute. Hence a third figure, "others":
 * the cores other processes kept busy during the pair, on average, from /proc/stat's busy ticks (steal included) minus
 * the ticks of the bench and the children it waited for (/proc/self/stat utime + stime + cutime + cstime), over the
 * machine's ticks in that time (bench-report.ts otherCores). The tables print every pair's before→after (others), the
 * progress lines print them as they come, the
 * --json results keep them per row (`load` of the chosen run, `loads` of every pair), and a ratio any of whose pairs
 * saw a 1-minute load average above --load-threshold (default 1) before or after gets a mark beside it ("⚠ load 1.4 before", preferring
 * "before"; with --repeat "(2 of 3 pairs)") and a footnote: such a ratio is not comparable with quiet ones, since load
 * slows the two sides by different amounts (the README's earlier measurements had micflow losing more under load; the
 * bench does not measure which way a given pair erred). The load average before and after the whole run is printed too.
 *
 * --flatness N trains N steps per network row (default row unet2d) and reports live tensors and RSS at steps 1, 10,
 * N/2 and N; growth is flagged (and exits 1): any change of the live tensor count, or RSS growing from step 10 on by
 * more than 5% and 64 MB.
 *
 * Each (row, backend) runs in its own child process, so a backend that aborts (wasm runs out of its 4 GB heap at
 * batch 4) or leaks cannot disturb the others, and peak RSS is per row. Backends default to the ones that finish a
 * step in reasonable time: native, wasm (cpu takes over ten minutes per UNet2D step; ask for it with --backends cpu).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  flatnessVerdict,
  formatDuration,
  formatPairLoads,
  LOAD_FLAG_THRESHOLD,
  loadFlag,
  loadFootnote,
  lossValueCheck,
  markdownTable,
  median,
  otherCores,
  parameterCountCheck,
  parseCpuSample,
  ratioSummary,
  ratioWithLoadFlag,
  type CpuSample,
  type FlatnessSample,
  type PairLoad,
} from './bench-report.js';
import { describePeak, formatThroughput, peakFromCpuInfo, type PeakAssumptions } from './conv-flops.js';
import { GATED_CRF_ROW_DEFAULT, gatedCrfRowLabel, timeGatedCrfRow, type GatedCrfRowId, type GatedCrfRowSpec, type GatedCrfTimings } from './gated-crf-row.js';
import { LOADER_ROWS, loaderRowLabel, measureLoaderRow, type LoaderRowId, type LoaderThroughput } from './loader-row.js';
import {
  hasTorchTwin,
  isPipelineRowId,
  PIPELINE_ROW_NAMES,
  pipelineNameOf,
  pipelineRowLabel,
  timePipelineRow,
  type PipelineRowId,
  type PipelineTimings,
  type PipelineTwinSpec,
} from './pipeline-row.js';
import { NETWORK_ROW_DEFAULTS, networkRowLabel, sampleNetworkFlatness, timeNetworkRow, type NetworkRowId, type NetworkRowSpec, type NetworkTimings } from './network-rows.js';

const here = dirname(fileURLToPath(import.meta.url));
const RESULT_MARKER = 'MICFLOW-BENCH-RESULT ';
type RowId = NetworkRowId | LoaderRowId | GatedCrfRowId | PipelineRowId;

interface Options {
  rows: RowId[];
  backends: string[];
  /** The pipeline rows' backends: --backends when given, else native alone. */
  pipelineBackends: string[];
  steps: number;
  warmup: number;
  network: Record<NetworkRowId, NetworkRowSpec>;
  loaderBatches: number;
  crf: GatedCrfRowSpec;
  vsTorch: boolean;
  repeat: number;
  /** Ratios measured at a 1-minute load average above this (before or after their pair) are flagged. */
  loadThreshold: number;
  flatness?: number;
  json?: string;
  timeoutSeconds: number;
  child?: { kind: 'time' | 'flatness'; row: RowId; backend: string };
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const integer = (name: string, fallback: number, min = 0) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const positive = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  const list = (name: string, fallback: number[]) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = v.split(',').map(Number);
    if (n.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`--${name} must be comma-separated positive integers, got ${v}`);
    return n;
  };
  const flatness = value('flatness') === undefined ? undefined : integer('flatness', 50, 2);
  const rowsText = value('rows') ?? (flatness ? 'unet2d' : 'unet2d,unet3d,loader');
  const rows = rowsText
    .split(',')
    .filter(Boolean)
    .flatMap((r): RowId[] => (r === 'loader' ? ['loader2d', 'loader3d'] : r === 'pipelines' ? PIPELINE_ROW_NAMES.map((n): PipelineRowId => `pipeline:${n}`) : [r as RowId]));
  for (const r of rows) {
    if (isPipelineRowId(r)) {
      if (!existsSync(resolve(here, '..', 'pipelines', `${pipelineNameOf(r)}.ts`))) throw new Error(`--rows: no pipeline ${pipelineNameOf(r)} in pipelines/ (${r})`);
      continue;
    }
    if (!(r in NETWORK_ROW_DEFAULTS) && !(r in LOADER_ROWS) && r !== 'gatedcrf') {
      throw new Error(`--rows: unknown row ${r} (known: unet2d, unet3d, loader, loader2d, loader3d, gatedcrf, pipelines, pipeline:NAME)`);
    }
  }
  const features3d = list('features3d', NETWORK_ROW_DEFAULTS.unet3d.features);
  if (features3d.length !== 4 && features3d.length !== 5) throw new Error(`--features3d needs 4 or 5 channel counts, got ${features3d.length}`);
  const child = value('child');
  return {
    rows,
    backends: (value('backends') ?? 'native,wasm').split(',').filter(Boolean),
    pipelineBackends: (value('backends') ?? 'native').split(',').filter(Boolean),
    steps: integer('steps', 10, 1),
    warmup: integer('warmup', 2),
    network: {
      unet2d: { ...NETWORK_ROW_DEFAULTS.unet2d, batch: integer('batch', 4, 1), size: integer('size', 256, 16) },
      unet3d: {
        ...NETWORK_ROW_DEFAULTS.unet3d,
        batch: integer('batch3d', 1, 1),
        size: integer('size3d', 64, 16),
        features: features3d,
        dropout: NETWORK_ROW_DEFAULTS.unet3d.dropout.slice(0, features3d.length),
      },
    },
    loaderBatches: integer('loader-batches', 50, 1),
    crf: { ...GATED_CRF_ROW_DEFAULT, batch: integer('crf-batch', GATED_CRF_ROW_DEFAULT.batch, 1), size: integer('crf-size', GATED_CRF_ROW_DEFAULT.size, 2) },
    vsTorch: argv.includes('--vs-torch'),
    repeat: integer('repeat', 1, 1),
    loadThreshold: positive('load-threshold', LOAD_FLAG_THRESHOLD),
    flatness,
    json: value('json'),
    timeoutSeconds: integer('timeout', 1800, 1),
    child: child ? { kind: child as 'time' | 'flatness', row: value('row') as RowId, backend: value('backend') as string } : undefined,
  };
}

const isNetworkRow = (row: RowId): row is NetworkRowId => row in NETWORK_ROW_DEFAULTS;
const rowLabel = (o: Options, row: RowId) =>
  isPipelineRowId(row)
    ? pipelineRowLabel(row)
    : isNetworkRow(row)
      ? networkRowLabel(o.network[row])
      : row === 'gatedcrf'
        ? gatedCrfRowLabel(o.crf)
        : loaderRowLabel(LOADER_ROWS[row]);

// ------------------------------------------------------------------------------------------------------------------
// Child side: one row on one backend, one result line on stdout.

async function runChildWork(o: Options): Promise<unknown> {
  const { kind, row, backend } = o.child!;
  if (kind === 'flatness') {
    if (!isNetworkRow(row)) throw new Error(`--flatness applies to network rows, not ${row}`);
    return sampleNetworkFlatness(o.network[row], backend, o.flatness ?? 50);
  }
  if (isPipelineRowId(row)) return timePipelineRow(pipelineNameOf(row), backend, o.steps, o.warmup, resolve(here, '..'));
  if (isNetworkRow(row)) return timeNetworkRow(o.network[row], backend, o.steps, o.warmup);
  if (row === 'gatedcrf') return timeGatedCrfRow(o.crf, backend, o.steps, o.warmup);
  return measureLoaderRow(LOADER_ROWS[row], backend, o.loaderBatches, resolve(here, '..'));
}

// ------------------------------------------------------------------------------------------------------------------
// Parent side

/**
 * Both sides run with the same OpenMP wait policy: micflow's addon defaults to passive (see native-addon.ts), and
 * PyTorch's OpenMP would otherwise spin, which is slower on a shared machine and would skew the ratio.
 */
function benchEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' };
}

type ChildOutcome<T> = { ok: true; result: T } | { ok: false; error: string };

function runChild<T>(o: Options, kind: 'time' | 'flatness', row: RowId, backend: string): ChildOutcome<T> {
  const passThrough = process.argv.slice(2).filter((a, i, all) => !['--child', '--row', '--backend'].includes(a) && !['--child', '--row', '--backend'].includes(all[i - 1]));
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), ...passThrough, '--child', kind, '--row', row, '--backend', backend];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: benchEnvironment(), timeout: o.timeoutSeconds * 1000 });
  const line = result.stdout?.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (line) return { ok: true, result: JSON.parse(line.slice(RESULT_MARKER.length)) as T };
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { ok: false, error: `timed out after ${o.timeoutSeconds} s (--timeout)` };
  const text = result.stderr || result.stdout || '';
  const why = text.split('\n').find((l) => /error|abort/i.test(l)) ?? `exit ${result.status ?? result.signal}`;
  return { ok: false, error: why.trim().slice(0, 200) };
}

interface TorchTimings {
  framework: string;
  parameters: number;
  trainStepMs: number;
  inferenceMs: number;
  peakRssMb: number;
}

function runTorch(o: Options, spec: NetworkRowSpec, threads: number): TorchTimings | { error: string } {
  return runPythonScript<TorchTimings>(o, 'torch_unet.py', [
    '--dims', String(spec.dims), '--batch', String(spec.batch), '--size', String(spec.size), '--features', spec.features.join(','),
    '--dropout', spec.dropout.join(','), '--classes', String(spec.classes), '--steps', String(o.steps), '--warmup', String(o.warmup),
    '--threads', String(threads),
  ]);
}

/** Runs one of bench/'s PyTorch scripts (Debian's python3-torch, or $MICFLOW_TORCH_PYTHON) and parses its JSON line. */
function runPythonScript<T>(o: Options, name: string, args: string[]): T | { error: string } {
  const python = process.env.MICFLOW_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = join(here, name);
  const result = spawnSync(python, [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: benchEnvironment(), timeout: o.timeoutSeconds * 1000 });
  const line = result.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    const why = (result.stderr || String(result.error ?? `exit ${result.status}`)).trim().split('\n').pop();
    return { error: `${python} ${script} failed: ${why} (Debian: apt-get install python3-torch)` };
  }
  return JSON.parse(line) as T;
}

interface TorchLossTimings {
  framework: string;
  stepMs: number;
  loss: number;
  peakRssMb: number;
}

/** bench/torch_losses.py: the gated CRF loss PyMIC's way (F.unfold pair tensors) on the same inputs, same threads. */
function runTorchGatedCrf(o: Options, threads: number): TorchLossTimings | { error: string } {
  const spec = o.crf;
  return runPythonScript<TorchLossTimings>(o, 'torch_losses.py', [
    '--batch', String(spec.batch), '--size', String(spec.size), '--classes', String(spec.classes), '--radius', String(spec.radius),
    '--kernels', JSON.stringify(spec.kernels), '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(threads),
  ]);
}

interface TorchPipelineTimings {
  framework: string;
  method: string;
  parameters: number;
  iterationMs: number;
  peakRssMb: number;
}

/** bench/torch_pipelines.py: the pipeline's training iteration in PyTorch, from the settings micflow's child read. */
function runTorchPipeline(o: Options, twin: PipelineTwinSpec, threads: number): TorchPipelineTimings | { error: string } {
  return runPythonScript<TorchPipelineTimings>(o, 'torch_pipelines.py', ['--spec', JSON.stringify(twin), '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(threads)]);
}

interface PipelineRowResult {
  row: string;
  pipeline: string;
  backend: string;
  ok: boolean;
  error?: string;
  timings?: PipelineTimings;
  /** PyTorch's twin, or why there is none. */
  torch?: TorchPipelineTimings | { error: string };
  parameterMismatch?: string;
  /** micflow's tick without its data wait / PyTorch's iteration (no data loading); with --repeat every pair's. */
  ratio?: number;
  ratios?: number[];
  runs?: number;
  load?: PairLoad;
  loads?: PairLoad[];
}

interface GatedCrfRowResult {
  row: string;
  backend: string;
  ok: boolean;
  error?: string;
  timings?: GatedCrfTimings;
  torch?: TorchLossTimings | { error: string };
  /** The loss value check against PyTorch's (with --vs-torch); a mismatch withholds the ratio. */
  lossCheck?: { same: boolean; relative: number; message: string };
  ratio?: number;
  /** With --repeat: the ratio of every micflow/PyTorch pair, and how many pairs ran. */
  ratios?: number[];
  runs?: number;
  /** The 1-minute load average before and after this run's pair; `loads`: every pair's, in run order. */
  load?: PairLoad;
  loads?: PairLoad[];
}

interface NetworkRowResult {
  row: string;
  rowId: NetworkRowId;
  backend: string;
  ok: boolean;
  error?: string;
  timings?: NetworkTimings;
  torch?: TorchTimings | { error: string };
  parameterMismatch?: string;
  trainRatio?: number;
  inferenceRatio?: number;
  /** With --repeat: the ratio of every micflow/PyTorch pair, and how many pairs ran. */
  trainRatios?: number[];
  inferenceRatios?: number[];
  runs?: number;
  /** The 1-minute load average before and after this run's pair; `loads`: every pair's, in run order. */
  load?: PairLoad;
  loads?: PairLoad[];
}

interface LoaderRowResult {
  row: string;
  backend: string;
  ok: boolean;
  error?: string;
  throughput?: LoaderThroughput;
}

interface FlatnessRowResult {
  row: string;
  backend: string;
  ok: boolean;
  error?: string;
  parameters?: number;
  samples?: FlatnessSample[];
  flat?: boolean;
  problems?: string[];
}

/**
 * One result from the repeats of a (row, backend): the run with the median training step (its timings and PyTorch's
 * of the same pair), and the median of the per-pair ratios, all of which are kept.
 */
function combineRuns(runs: NetworkRowResult[]): NetworkRowResult {
  const loads = pairLoads(runs);
  if (runs.length === 1) return { ...runs[0], loads };
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return runs[0];
  const byTrain = [...ok].sort((a, b) => a.timings!.trainStepMs - b.timings!.trainStepMs);
  const chosen = byTrain[Math.floor(byTrain.length / 2)];
  const trainRatios = ok.flatMap((r) => (r.trainRatio === undefined ? [] : [r.trainRatio]));
  const inferenceRatios = ok.flatMap((r) => (r.inferenceRatio === undefined ? [] : [r.inferenceRatio]));
  return { ...chosen, trainRatio: median(trainRatios), inferenceRatio: median(inferenceRatios), trainRatios, inferenceRatios, runs: runs.length, loads };
}

/** As combineRuns: the run with the median time, the median of the per-pair ratios; any mismatched pair stays flagged. */
function combineGatedCrfRuns(runs: GatedCrfRowResult[]): GatedCrfRowResult {
  const loads = pairLoads(runs);
  if (runs.length === 1) return { ...runs[0], loads };
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return runs[0];
  const chosen = [...ok].sort((a, b) => a.timings!.stepMs - b.timings!.stepMs)[Math.floor(ok.length / 2)];
  const ratios = ok.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
  const mismatch = ok.find((r) => r.lossCheck && !r.lossCheck.same);
  return {
    ...chosen,
    lossCheck: mismatch?.lossCheck ?? chosen.lossCheck,
    ratio: mismatch ? undefined : median(ratios),
    ratios: mismatch ? undefined : ratios,
    runs: runs.length,
    loads,
  };
}

/** As combineRuns: the run with the median tick without data wait, the median of the per-pair ratios. */
function combinePipelineRuns(runs: PipelineRowResult[]): PipelineRowResult {
  const loads = pairLoads(runs);
  if (runs.length === 1) return { ...runs[0], loads };
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return { ...runs[0], loads };
  const chosen = [...ok].sort((a, b) => a.timings!.computeSeconds - b.timings!.computeSeconds)[Math.floor(ok.length / 2)];
  const mismatch = ok.find((r) => r.parameterMismatch);
  const ratios = ok.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
  return {
    ...chosen,
    parameterMismatch: mismatch?.parameterMismatch,
    ratio: mismatch ? undefined : median(ratios),
    ratios: mismatch ? undefined : ratios,
    runs: runs.length,
    loads,
  };
}

/** Every pair's load average, in run order (those whose micflow side ran: their ratios are the ones combined). */
const pairLoads = (runs: ReadonlyArray<{ ok: boolean; load?: PairLoad }>): PairLoad[] => runs.flatMap((r) => (r.ok && r.load ? [r.load] : []));

const oneMinuteLoad = () => loadavg()[0];

/** The machine's and the bench's CPU clock ticks now (undefined without a readable /proc). */
function cpuSample(): CpuSample | undefined {
  try {
    return parseCpuSample(readFileSync('/proc/stat', 'utf8'), readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * One micflow/PyTorch pair: each backend's micflow child, then (with --vs-torch) the PyTorch run, with the 1-minute
 * load average read before each backend's child and after the pair (after its child without PyTorch) into `load`.
 */
function runPair<R extends { load?: PairLoad }, T>(backends: readonly string[], micflow: (backend: string) => R, torch: (() => T) | undefined): { results: R[]; torch: T | undefined } {
  const before: number[] = [];
  const after: number[] = [];
  const cpuBefore: Array<CpuSample | undefined> = [];
  const cpuAfter: Array<CpuSample | undefined> = [];
  const results = backends.map((backend) => {
    before.push(oneMinuteLoad());
    cpuBefore.push(cpuSample());
    const result = micflow(backend);
    after.push(oneMinuteLoad());
    cpuAfter.push(cpuSample());
    return result;
  });
  const torchResult = torch?.();
  const end = oneMinuteLoad();
  const cpuEnd = cpuSample();
  results.forEach((r, i) => {
    const from = cpuBefore[i];
    const to = torch ? cpuEnd : cpuAfter[i];
    const others = from && to ? otherCores(from, to, availableParallelism()) : undefined;
    r.load = { before: before[i], after: torch ? end : after[i], ...(others === undefined ? {} : { otherCores: others }) };
  });
  return { results, torch: torchResult };
}

function logPairLoads(results: ReadonlyArray<{ backend: string; load?: PairLoad }>, repeat: number, repeats: number): void {
  for (const r of results) console.log(`    pair ${repeat + 1}/${repeats} (${r.backend}): 1-minute load average ${formatPairLoads(r.load ? [r.load] : [])} before→after`);
}

const leakFree = (t: { liveTensorsBefore: number; liveTensorsAfter: number }) => t.liveTensorsBefore === t.liveTensorsAfter;

const ratio = (r: number | undefined, all?: number[]) => (r === undefined ? '-' : ratioSummary(all && all.length > 1 ? all : [r]));
const batches = (n: number) => `${n} batch${n === 1 ? '' : 'es'}`;
const mb = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(0)} MB`);

/** The conv FLOPs of a row's training step, e.g. '69.9 GFLOP', or why they are not counted. */
function convFlopsCell(t: NetworkTimings | undefined): string {
  if (!t) return '-';
  if (!t.convFlops) return t.convFlopsProblems?.length ? `not counted: ${t.convFlopsProblems[0]}` : '-';
  return `${(t.convFlops.total / 1e9).toFixed(1)} GFLOP`;
}

function networkTable(results: NetworkRowResult[], vsTorch: boolean, threshold: number, peak: PeakAssumptions): string {
  const header = [
    'row', 'backend', 'parameters', 'train step', 'conv FLOPs/step', 'conv FLOPs / step time', 'inference/image', 'peak RSS', 'live tensors before/after', 'load before→after',
    ...(vsTorch ? ['train ratio vs torch', 'inference ratio vs torch'] : []),
  ];
  const lines: string[][] = [];
  for (const rowId of new Set(results.map((r) => r.rowId))) {
    const group = results.filter((r) => r.rowId === rowId);
    for (const r of group) {
      const t = r.timings;
      lines.push([
        r.row, r.backend, t ? t.parameters.toLocaleString('en-US') : '-', r.ok ? formatDuration(t?.trainStepMs) : `failed: ${r.error}`,
        convFlopsCell(t), formatThroughput(t?.convFlops?.total, t?.trainStepMs, peak.peakFlops), formatDuration(t?.inferenceMs), mb(t?.peakRssMb), t ? `${t.liveTensorsBefore}/${t.liveTensorsAfter}` : '-', formatPairLoads(r.loads ?? []),
        ...(vsTorch
          ? r.parameterMismatch
            ? ['FLAGGED: ' + r.parameterMismatch, '-']
            : [ratioWithLoadFlag(ratio(r.trainRatio, r.trainRatios), r.loads ?? [], threshold), ratioWithLoadFlag(ratio(r.inferenceRatio, r.inferenceRatios), r.loads ?? [], threshold)]
          : []),
      ]);
    }
    const torch = group[0].torch;
    if (!vsTorch || !torch) continue;
    // PyTorch's twin has the same layers (the parameter counts are checked), so the same conv FLOPs over its time.
    const flops = group.find((r) => r.timings?.convFlops)?.timings?.convFlops?.total;
    if ('error' in torch) lines.push([group[0].row, 'pytorch', '-', `failed: ${torch.error}`, '-', '-', '-', '-', '-', '-', '-', '-']);
    else {
      lines.push([
        group[0].row, torch.framework, torch.parameters.toLocaleString('en-US'), formatDuration(torch.trainStepMs), flops ? `${(flops / 1e9).toFixed(1)} GFLOP` : '-',
        formatThroughput(flops, torch.trainStepMs, peak.peakFlops), formatDuration(torch.inferenceMs), mb(torch.peakRssMb), '-', '-', '1.00', '1.00',
      ]);
    }
  }
  return markdownTable(header, lines);
}

function loaderTable(results: LoaderRowResult[]): string {
  const header = ['row', 'backend', 'samples/s, first epoch (decoding)', 'samples/s, cached', 'live tensors before/after', 'vs torch'];
  return markdownTable(
    header,
    results.map((r) => {
      const t = r.throughput;
      if (!r.ok || !t) return [r.row, r.backend, `failed: ${r.error}`, '-', '-', 'no reference'];
      return [
        r.row, r.backend, `${t.firstEpochSamplesPerSecond.toFixed(1)} (${batches(t.firstEpochBatches)})`,
        `${t.cachedSamplesPerSecond.toFixed(1)} (${batches(t.cachedBatches)})`, `${t.liveTensorsBefore}/${t.liveTensorsAfter}`, 'no reference',
      ];
    }),
  );
}

function gatedCrfTable(results: GatedCrfRowResult[], vsTorch: boolean, threshold: number): string {
  const header = ['row', 'backend', 'forward + backward', 'peak RSS', 'live tensors before/after', 'loss', 'load before→after', ...(vsTorch ? ['loss vs torch', 'ratio vs torch'] : [])];
  const lines: string[][] = results.map((r) => {
    const t = r.timings;
    const live = t ? `${t.liveTensorsBefore}/${t.liveTensorsAfter}${leakFree(t) ? '' : ' FLAGGED: grows'}` : '-';
    const check = r.lossCheck ? (r.lossCheck.same ? `agree (rel. ${r.lossCheck.relative.toExponential(1)})` : `FLAGGED: ${r.lossCheck.message}`) : '-';
    return [
      r.row, r.backend, r.ok ? formatDuration(t?.stepMs) : `failed: ${r.error}`, mb(t?.peakRssMb), live, t ? t.loss.toPrecision(8) : '-', formatPairLoads(r.loads ?? []),
      ...(vsTorch ? [check, ratioWithLoadFlag(ratio(r.ratio, r.ratios), r.loads ?? [], threshold)] : []),
    ];
  });
  const torch = results[0]?.torch;
  if (vsTorch && torch) {
    if ('error' in torch) lines.push([results[0].row, 'pytorch', `failed: ${torch.error}`, '-', '-', '-', '-', '-', '-']);
    else lines.push([results[0].row, torch.framework, formatDuration(torch.stepMs), mb(torch.peakRssMb), '-', torch.loss.toPrecision(8), '-', '-', '1.00']);
  }
  return markdownTable(header, lines);
}

const secondsCell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(3)} s`);

function pipelineTable(results: PipelineRowResult[], vsTorch: boolean, threshold: number): string {
  const header = [
    'row', 'backend', 'parameters', 's/iteration', 'of which data wait', 's/iteration without data wait', 'start-up', 'peak RSS',
    'live tensors before/after', 'load before→after', ...(vsTorch ? ['ratio vs torch (without data wait)'] : []),
  ];
  const lines: string[][] = [];
  for (const pipeline of new Set(results.map((r) => r.pipeline))) {
    const group = results.filter((r) => r.pipeline === pipeline);
    for (const r of group) {
      const t = r.timings;
      const live = t ? `${t.liveTensorsBefore}/${t.liveTensorsAfter}${leakFree(t) ? '' : ' FLAGGED: grows'}` : '-';
      const torchCell = r.parameterMismatch
        ? `FLAGGED: ${r.parameterMismatch}`
        : r.torch && 'error' in r.torch
          ? `no ratio: ${r.torch.error}`
          : ratioWithLoadFlag(ratio(r.ratio, r.ratios), r.loads ?? [], threshold);
      lines.push([
        r.row, r.backend, t ? t.parameters.toLocaleString('en-US') : '-', r.ok ? secondsCell(t?.iterationSeconds) : `failed: ${r.error}`,
        secondsCell(t?.dataWaitSeconds), secondsCell(t?.computeSeconds), secondsCell(t?.startupSeconds), mb(t?.peakRssMb), live,
        formatPairLoads(r.loads ?? []), ...(vsTorch ? [torchCell] : []),
      ]);
    }
    const torch = group[0].torch;
    if (!vsTorch || !torch || 'error' in torch) continue;
    const iteration = torch.iterationMs / 1000;
    lines.push([group[0].row, torch.framework, torch.parameters.toLocaleString('en-US'), secondsCell(iteration), 'none (random tensors)', secondsCell(iteration), '-', mb(torch.peakRssMb), '-', '-', '1.00']);
  }
  return markdownTable(header, lines);
}

function flatnessTable(results: FlatnessRowResult[]): string {
  const header = ['row', 'backend', 'step', 'live tensors', 'RSS', 'verdict'];
  const lines: string[][] = [];
  for (const r of results) {
    if (!r.ok || !r.samples) {
      lines.push([r.row, r.backend, '-', '-', '-', `failed: ${r.error}`]);
      continue;
    }
    r.samples.forEach((s, i) =>
      lines.push([i === 0 ? r.row : '', i === 0 ? r.backend : '', String(s.step), String(s.liveTensors), mb(s.rssMb), i === r.samples!.length - 1 ? (r.flat ? 'flat' : `FLAGGED: ${r.problems!.join('; ')}`) : '']),
    );
  }
  return markdownTable(header, lines);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.child) {
    try {
      console.log(RESULT_MARKER + JSON.stringify(await runChildWork(o)));
    } catch (error) {
      console.error(`error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      process.exit(1);
    }
    return;
  }
  const threads = Number(process.env.OMP_NUM_THREADS) || availableParallelism();
  const peak = peakFromCpuInfo(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '', threads);
  const loadBefore = loadavg()[0];
  const mode = o.flatness ? `flatness check over ${o.flatness} training steps` : `${o.steps} timed steps after ${o.warmup} warm-up`;
  console.log(
    `micflow bench: ${mode}, ${threads} threads, OMP_WAIT_POLICY=${benchEnvironment().OMP_WAIT_POLICY}, ` +
      `backends ${o.rows.every(isPipelineRowId) ? o.pipelineBackends.join(', ') : o.backends.join(', ')}` +
      `${o.rows.some(isPipelineRowId) && !o.rows.every(isPipelineRowId) ? ` (pipeline rows: ${o.pipelineBackends.join(', ')})` : ''}, load average ${loadBefore.toFixed(1)} (timings scale with other work on the machine)`,
  );
  const network: NetworkRowResult[] = [];
  const loader: LoaderRowResult[] = [];
  const flatness: FlatnessRowResult[] = [];
  const gatedCrf: GatedCrfRowResult[] = [];
  const pipelines: PipelineRowResult[] = [];
  let flagged = false;
  let pipelinesFlagged = false;
  let gatedCrfFlagged = false;
  for (const rowId of o.rows) {
    const row = rowLabel(o, rowId);
    if (o.flatness) {
      if (!isNetworkRow(rowId)) throw new Error(`--flatness applies to network rows (unet2d, unet3d), not ${rowId}`);
      for (const backend of o.backends) {
        const outcome = runChild<{ parameters: number; samples: FlatnessSample[] }>(o, 'flatness', rowId, backend);
        const result: FlatnessRowResult = outcome.ok ? { row, backend, ok: true, ...outcome.result, ...flatnessVerdict(outcome.result.samples) } : { row, backend, ok: false, error: outcome.error };
        if (result.ok && !result.flat) flagged = true;
        flatness.push(result);
        console.log(`  ${row} on ${backend}: ${result.ok ? (result.flat ? 'flat' : `FLAGGED: ${result.problems!.join('; ')}`) : `failed: ${result.error}`}`);
      }
      continue;
    }
    if (isPipelineRowId(rowId)) {
      // As the network rows: every backend, then PyTorch's twin (from the settings the first micflow child read).
      const name = pipelineNameOf(rowId);
      const runs: PipelineRowResult[][] = [];
      for (let repeat = 0; repeat < o.repeat; repeat++) {
        let twin: PipelineTwinSpec | undefined;
        const pair = runPair(
          o.pipelineBackends,
          (backend): PipelineRowResult => {
            const outcome = runChild<PipelineTimings>(o, 'time', rowId, backend);
            const result: PipelineRowResult = outcome.ok ? { row, pipeline: name, backend, ok: true, timings: outcome.result } : { row, pipeline: name, backend, ok: false, error: outcome.error };
            if (result.ok) {
              const t = result.timings!;
              twin ??= t.twin;
              if (!leakFree(t)) pipelinesFlagged = true;
              console.log(`  ${row} on ${backend}: ${secondsCell(t.iterationSeconds)}/iteration, ${secondsCell(t.computeSeconds)} without the data wait, live tensors ${t.liveTensorsBefore}/${t.liveTensorsAfter}`);
            } else console.log(`  ${row} on ${backend}: failed: ${result.error}`);
            return result;
          },
          o.vsTorch
            ? () =>
                !hasTorchTwin(name)
                  ? { error: `no PyTorch twin of ${name}` }
                  : twin
                    ? runTorchPipeline(o, twin, threads)
                    : { error: 'micflow failed, so the twin has no settings to read' }
            : undefined,
        );
        const torch = pair.torch;
        if (torch) {
          console.log(`  ${row} in PyTorch: ${'error' in torch ? torch.error : `${secondsCell(torch.iterationMs / 1000)}/iteration`}`);
          for (const r of pair.results) {
            r.torch = torch;
            if (!r.ok || 'error' in torch) continue;
            const check = parameterCountCheck(r.timings!.parameters, torch.parameters);
            if (!check.same) {
              r.parameterMismatch = check.message;
              pipelinesFlagged = true;
              continue;
            }
            r.ratio = (r.timings!.computeSeconds * 1000) / torch.iterationMs;
          }
        }
        logPairLoads(pair.results, repeat, o.repeat);
        runs.push(pair.results);
      }
      pipelines.push(...o.pipelineBackends.map((_, b) => combinePipelineRuns(runs.map((run) => run[b]))));
      continue;
    }
    if (rowId === 'gatedcrf') {
      // As the network rows: every backend, then PyTorch, alternating with --repeat.
      const runs: GatedCrfRowResult[][] = [];
      for (let repeat = 0; repeat < o.repeat; repeat++) {
        const pair = runPair(
          o.backends,
          (backend): GatedCrfRowResult => {
            const outcome = runChild<GatedCrfTimings>(o, 'time', rowId, backend);
            const result: GatedCrfRowResult = outcome.ok ? { row, backend, ok: true, timings: outcome.result } : { row, backend, ok: false, error: outcome.error };
            if (result.ok && !leakFree(result.timings!)) gatedCrfFlagged = true;
            console.log(`  ${row} on ${backend}: ${result.ok ? `forward + backward ${formatDuration(result.timings!.stepMs)}, loss ${result.timings!.loss.toPrecision(8)}` : `failed: ${result.error}`}`);
            return result;
          },
          o.vsTorch ? () => runTorchGatedCrf(o, threads) : undefined,
        );
        const rowResults = pair.results;
        const torch = pair.torch;
        if (torch) {
          console.log(`  ${row} in PyTorch: ${'error' in torch ? torch.error : `forward + backward ${formatDuration(torch.stepMs)}, loss ${torch.loss.toPrecision(8)}`}`);
          for (const r of rowResults) {
            r.torch = torch;
            if (!r.ok || 'error' in torch) continue;
            r.lossCheck = lossValueCheck(r.timings!.loss, torch.loss);
            if (!r.lossCheck.same) {
              gatedCrfFlagged = true;
              continue;
            }
            r.ratio = r.timings!.stepMs / torch.stepMs;
          }
        }
        logPairLoads(rowResults, repeat, o.repeat);
        runs.push(rowResults);
      }
      gatedCrf.push(...o.backends.map((_, b) => combineGatedCrfRuns(runs.map((run) => run[b]))));
      continue;
    }
    if (!isNetworkRow(rowId)) {
      const backend = o.backends[0];
      const outcome = runChild<LoaderThroughput>(o, 'time', rowId, backend);
      const result: LoaderRowResult = outcome.ok ? { row, backend, ok: true, throughput: outcome.result } : { row, backend, ok: false, error: outcome.error };
      loader.push(result);
      console.log(`  ${row}: ${result.ok ? `${result.throughput!.cachedSamplesPerSecond.toFixed(1)} samples/s cached` : `failed: ${result.error}`}`);
      continue;
    }
    const spec = o.network[rowId];
    // With --repeat, micflow and PyTorch alternate, so that each ratio compares runs that saw similar load.
    const runs: NetworkRowResult[][] = [];
    for (let repeat = 0; repeat < o.repeat; repeat++) {
      const pair = runPair(
        o.backends,
        (backend): NetworkRowResult => {
          const outcome = runChild<NetworkTimings>(o, 'time', rowId, backend);
          const result: NetworkRowResult = outcome.ok ? { row, rowId, backend, ok: true, timings: outcome.result } : { row, rowId, backend, ok: false, error: outcome.error };
          console.log(`  ${row} on ${backend}: ${result.ok ? `train ${formatDuration(result.timings!.trainStepMs)}, inference ${formatDuration(result.timings!.inferenceMs)}` : `failed: ${result.error}`}`);
          return result;
        },
        o.vsTorch ? () => runTorch(o, spec, threads) : undefined,
      );
      const rowResults = pair.results;
      const torch = pair.torch;
      if (torch) {
        console.log(`  ${row} in PyTorch: ${'error' in torch ? torch.error : `train ${formatDuration(torch.trainStepMs)}, inference ${formatDuration(torch.inferenceMs)}`}`);
        for (const r of rowResults) {
          r.torch = torch;
          if (!r.ok || 'error' in torch) continue;
          const check = parameterCountCheck(r.timings!.parameters, torch.parameters);
          if (!check.same) {
            r.parameterMismatch = check.message;
            flagged = true;
            continue;
          }
          r.trainRatio = r.timings!.trainStepMs / torch.trainStepMs;
          r.inferenceRatio = r.timings!.inferenceMs / torch.inferenceMs;
        }
      }
      logPairLoads(rowResults, repeat, o.repeat);
      runs.push(rowResults);
    }
    network.push(...o.backends.map((_, b) => combineRuns(runs.map((run) => run[b]))));
  }
  const loadAfter = loadavg()[0];
  if (network.length) {
    console.log('\n' + networkTable(network, o.vsTorch, o.loadThreshold, peak));
    console.log(
      `\nconv FLOPs/step: the convolutions of one training step, forward 2·N·Cout·spatial·Cin·taps per conv (1x1 convs included) ` +
        `plus the gradients w.r.t. inputs and kernels, as many again each (3x forward). conv FLOPs / step time is a lower bound on ` +
        `what the convs themselves reach (the step also runs batch norm, activations, pooling, losses and Adam). ${describePeak(peak)}.`,
    );
  }
  if (loader.length) console.log('\n' + loaderTable(loader));
  if (flatness.length) console.log('\n' + flatnessTable(flatness));
  if (gatedCrf.length) console.log('\n' + gatedCrfTable(gatedCrf, o.vsTorch, o.loadThreshold));
  if (pipelines.length) {
    console.log('\n' + pipelineTable(pipelines, o.vsTorch, o.loadThreshold));
    console.log(
      `\npipelines: median of ${o.steps} timed training ticks after ${Math.max(1, o.warmup)} warm-up (compiled pipeline's tick: batches, forward passes, ` +
        `losses, gradients, updates, EMA, reported scalars read back; no validation or checkpoint hooks); "data wait" is the tick's own ` +
        `dataSeconds (waiting for prefetched batches), included in s/iteration. PyTorch's twins train on random tensors of the same shapes ` +
        `(no data loading), so the ratio compares micflow without its data wait.`,
    );
  }
  // A footnote when a printed ratio carries a load mark (only ratios measured against PyTorch do).
  const ratioLoads = o.vsTorch ? [...network, ...gatedCrf, ...pipelines].map((r) => r.loads ?? []) : [];
  if (ratioLoads.some((loads) => loadFlag(loads, o.loadThreshold) !== '')) console.log('\n' + loadFootnote(o.loadThreshold));
  console.log(`\nload average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after the whole run (per pair: the tables' load column)`);
  const result = {
    date: new Date().toISOString(),
    threads,
    ompWaitPolicy: benchEnvironment().OMP_WAIT_POLICY,
    loadAverage: { before: loadBefore, after: loadAfter },
    peak,
    // The gated CRF row's settings and results only when it ran, so that other runs' JSON stays as it was.
    options: { ...o, child: undefined, crf: o.rows.includes('gatedcrf') ? o.crf : undefined },
    network,
    loader,
    flatness,
    ...(gatedCrf.length ? { gatedCrf } : {}),
    ...(pipelines.length ? { pipelines } : {}),
  };
  if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2));
  console.log('\n' + JSON.stringify(result));
  if (flagged) {
    console.log('\nbench: FLAGGED rows above (parameter counts differ, or tensors / RSS grow)');
    process.exitCode = 1;
  }
  if (pipelinesFlagged) {
    console.log('\nbench: FLAGGED pipeline rows above (live tensors grow between ticks, or the PyTorch twin trains a different number of parameters)');
    process.exitCode = 1;
  }
  if (gatedCrfFlagged) {
    console.log('\nbench: FLAGGED gated CRF row above (micflow and PyTorch loss values differ, or live tensors grow)');
    process.exitCode = 1;
  }
}

await main();
