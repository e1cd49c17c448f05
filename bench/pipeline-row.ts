/**
 * The pipeline rows of `npm run bench -- --rows pipelines`: training ticks of bundled pipelines at their defaults
 * (pipelines/<name>.ts on fixtures/brain-mr-2d), built as `npm run pipeline -- NAME` builds them (preparePipelineRun,
 * startPipelineRun, in memory) and driven one tick at a time with the compiled pipeline's `tick` (no hooks: no
 * validation, checkpoints or evaluation; those run every 50 iterations or at the end of a real run). Each tick's own
 * IterationEvent gives its time, the time it waited for its batches (`dataSeconds`) and the live tensors after it.
 * Runs inside a bench child process, on the backend it was given; bench/torch_pipelines.py is the PyTorch twin, fed
 * with the {@link PipelineTwinSpec} read here from the validated pipeline (so the twin follows the pipeline's defaults).
 */
import { resolve } from 'node:path';
import { median } from './bench-report.js';

/** The pipelines `--rows pipelines` times, each with a PyTorch twin in bench/torch_pipelines.py. */
export const PIPELINE_ROW_NAMES = ['supervised', 'mean-teacher', 'cps', 'coteaching', 'scribble-gatedcrf'] as const;
export type PipelineRowName = (typeof PIPELINE_ROW_NAMES)[number];
/** A pipeline row is `pipeline:<name>`; `--rows pipelines` expands to the five above. */
export type PipelineRowId = `pipeline:${string}`;

export const isPipelineRowId = (row: string): row is PipelineRowId => row.startsWith('pipeline:');
export const pipelineNameOf = (row: PipelineRowId): string => row.slice('pipeline:'.length);
export const hasTorchTwin = (name: string): name is PipelineRowName => (PIPELINE_ROW_NAMES as readonly string[]).includes(name);

/** 'pipeline supervised (1 tick)' */
export const pipelineRowLabel = (row: PipelineRowId): string => `pipeline ${pipelineNameOf(row)}, one training tick`;

/**
 * What the PyTorch twin needs to train what the pipeline trains, read from the validated pipeline (params with their
 * defaults filled in): the U-Nets, the batches and crops, Adam, and the method's own settings.
 */
export interface PipelineTwinSpec {
  method: string;
  /** The UNet2D nodes' params (all of a pipeline's U-Nets have the same). */
  net: { inChannels: number; classes: number; features: number[]; dropout: number[]; upMode: string; deepSupervision: boolean };
  /** How many UNet2D nodes the pipeline has (EMA copies not counted). */
  nets: number;
  /** Batch size per Batch node. */
  batches: Record<string, number>;
  /** The RandomCrop size of the first training branch. */
  crop: number[];
  adam: { lr: number; betas: [number, number]; eps: number; weightDecay: number; clipGradientNorm: number | null };
  ema?: { decay: number; warmUp: boolean };
  noise?: { std: number; clip: number };
  crf?: { radius: number; kernels: Array<{ weight: number; xy?: number; image?: number }> };
  /** Ramp-up schedules by node name: SigmoidRampup / LinearRampup params. */
  rampups: Record<string, { kind: string; start: number; end: number; max: number }>;
  iterations: number;
}

export interface PipelineTimings {
  pipeline: string;
  backend: string;
  selection: string;
  /** Scalars the pipeline's optimisers train (the twin must train as many). */
  parameters: number;
  /** From the start of startPipelineRun (backend, compile, datasets opened) to the first tick. */
  startupSeconds: number;
  warmupTicks: number;
  /** Median tick (IterationEvent.seconds: batches taken, forward, backward, updates, scalars read back). */
  iterationSeconds: number;
  /** Median wait for the tick's batches (IterationEvent.dataSeconds), part of iterationSeconds. */
  dataWaitSeconds: number;
  /** Median of seconds − dataSeconds per tick: what the PyTorch twin (no data loading) is compared with. */
  computeSeconds: number;
  iterationSecondsAll: number[];
  dataWaitSecondsAll: number[];
  /** Live tensors after the last warm-up tick and after the last timed tick (equal when nothing leaks). */
  liveTensorsBefore: number;
  liveTensorsAfter: number;
  peakRssMb: number;
  twin: PipelineTwinSpec;
}

/** Reads the twin's settings from a validated pipeline: every value as the pipeline resolves it, defaults included. */
export function twinSpecOf(
  name: string,
  nodes: ReadonlyMap<string, { stageClass: { className: string }; params: unknown }>,
  iterations: number,
): PipelineTwinSpec {
  const of = (className: string) => [...nodes.values()].filter((n) => n.stageClass.className === className).map((n) => n.params as Record<string, unknown>);
  const nets = of('UNet2D');
  if (nets.length === 0) throw new Error(`pipeline ${name}: no UNet2D node (the PyTorch twin builds UNet2Ds)`);
  const [net] = nets;
  const batches = Object.fromEntries([...nodes].filter(([, n]) => n.stageClass.className === 'Batch').map(([k, n]) => [k, (n.params as { size: number }).size]));
  const [crop] = of('RandomCrop');
  const [adam] = of('Adam');
  const [ema] = of('EmaCopy');
  const [noise] = of('InputNoise');
  const [crf] = of('GatedCRFLoss');
  const rampups = Object.fromEntries(
    [...nodes]
      .filter(([, n]) => ['SigmoidRampup', 'LinearRampup'].includes(n.stageClass.className))
      .map(([k, n]) => {
        const p = n.params as { start: number; end: number; max: number };
        return [k, { kind: n.stageClass.className, start: p.start, end: p.end, max: p.max }];
      }),
  );
  return {
    method: name,
    net: net as unknown as PipelineTwinSpec['net'],
    nets: nets.length,
    batches,
    crop: (crop?.size as number[]) ?? [],
    adam: adam as unknown as PipelineTwinSpec['adam'],
    ...(ema ? { ema: ema as unknown as PipelineTwinSpec['ema'] } : {}),
    ...(noise ? { noise: noise as unknown as PipelineTwinSpec['noise'] } : {}),
    ...(crf ? { crf: { radius: crf.radius as number, kernels: crf.kernels as NonNullable<PipelineTwinSpec['crf']>['kernels'] } } : {}),
    rampups,
    iterations,
  };
}

/**
 * `warmup` (at least 1: the first tick creates Adam's moments and waits for the first batches to be decoded) untimed
 * ticks, then `ticks` timed ones, of pipelines/<name>.ts at its defaults, in memory (no run directory).
 */
export async function timePipelineRow(name: string, backend: string, ticks: number, warmup: number, root: string): Promise<PipelineTimings> {
  const { loadPipelineModule } = await import('../src/run/load-pipeline-module.js');
  const { preparePipelineRun, startPipelineRun } = await import('../src/run/pipeline-run.js');
  const loaded = await loadPipelineModule(name, resolve(root, 'pipelines'));
  const prepared = preparePipelineRun(loaded.definition, { backend, modules: loaded.modules, source: loaded.file, data: resolve(root, loaded.definition.data) });
  const twin = twinSpecOf(name, prepared.validated.nodes, prepared.validated.definition.schedule.iterations);
  const started = performance.now();
  const { compiled, runtime } = await startPipelineRun(prepared, { backend, out: null });
  const startupSeconds = (performance.now() - started) / 1000;
  try {
    const optimisers = [...prepared.validated.nodes.values()].filter((n) => (n.stageClass as { kind?: string }).kind === 'optimiser').map((n) => n.name);
    const parameters = optimisers.reduce((sum, o) => sum + compiled.variablesOf(o).reduce((s, v) => s + v.size, 0), 0);
    const warmupTicks = Math.max(1, warmup);
    const seconds: number[] = [];
    const dataSeconds: number[] = [];
    let liveTensorsBefore = 0;
    let liveTensorsAfter = 0;
    for (let iteration = 1; iteration <= warmupTicks + ticks; iteration++) {
      const event = await compiled.tick(iteration);
      if (iteration === warmupTicks) liveTensorsBefore = event.liveTensors;
      liveTensorsAfter = event.liveTensors;
      if (iteration > warmupTicks) {
        seconds.push(event.seconds);
        dataSeconds.push(event.dataSeconds);
      }
    }
    return {
      pipeline: name,
      backend: runtime.backendName,
      selection: runtime.selection.reason,
      parameters,
      startupSeconds,
      warmupTicks,
      iterationSeconds: median(seconds) ?? NaN,
      dataWaitSeconds: median(dataSeconds) ?? NaN,
      computeSeconds: median(seconds.map((s, i) => s - dataSeconds[i])) ?? NaN,
      iterationSecondsAll: seconds.map((s) => Math.round(s * 1000) / 1000),
      dataWaitSecondsAll: dataSeconds.map((s) => Math.round(s * 10000) / 10000),
      liveTensorsBefore,
      liveTensorsAfter,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      twin,
    };
  } finally {
    compiled.dispose();
  }
}
