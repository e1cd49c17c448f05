import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Container, ContainerModule } from 'inversify';
import type { Observable } from 'rxjs';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { RunEvent } from '../events/run-event.js';
import { compilePipeline, type CompiledPipeline } from '../graph/compile-pipeline.js';
import type { PipelineDefinition } from '../graph/pipeline-definition.js';
import { StageRegistry } from '../graph/stage-registry.js';
import { assertValidPipeline } from '../graph/validate-pipeline.js';
import { type ValidatedPipeline } from '../graph/validated-pipeline.js';
import type { BackendCandidate } from '../runtime/backend-candidates.js';
import { runConfigOf } from '../graph/run-config.js';
import { TensorRuntime } from '../runtime/tensor-runtime.js';
import { BACKEND_CANDIDATE, createMicflowContainer } from './micflow-container.js';
import { applyOverrides } from './pipeline-overrides.js';

export interface PipelineRunOptions {
  /** `--set key=value` overrides. */
  readonly set?: readonly string[];
  /** Replaces the pipeline's data root. */
  readonly data?: string;
  /** Backend name (else MICFLOW_BACKEND, else automatic). */
  readonly backend?: string;
  /** The run directory; default `runs/<pipeline>-<timestamp>`; `null` keeps everything in memory (tests). */
  readonly out?: string | null;
  /** Container modules adding the user's stages or backends. */
  readonly modules?: readonly ContainerModule[];
  /** Where the pipeline was loaded from, for messages. */
  readonly source?: string;
}

export interface PreparedPipelineRun {
  readonly validated: ValidatedPipeline;
  readonly definition: PipelineDefinition;
  readonly source: string;
  /** The run's container (built-in and user stages, backend candidates), carried from prepare to start. */
  readonly container: Container;
}

export interface StartedPipelineRun {
  readonly compiled: CompiledPipeline;
  readonly runtime: TensorRuntime;
  readonly runDirectory: string | undefined;
  /** The run; subscribing starts it. */
  readonly events: Observable<RunEvent>;
}

/** Applies overrides and validates the whole graph. Writes nothing, loads no backend. */
export function preparePipelineRun(definition: PipelineDefinition, options: PipelineRunOptions = {}): PreparedPipelineRun {
  const source = options.source ?? `pipeline "${definition?.name ?? '?'}"`;
  let effective = applyOverrides(definition, options.set ?? []);
  if (options.data !== undefined) effective = { ...effective, data: options.data };
  const container = createMicflowContainer(options.modules);
  const validated = assertValidPipeline(effective, StageRegistry.fromContainer(container), source);
  return { validated, definition: effective, source, container };
}

/**
 * Chooses the backend, creates the run directory (config first), compiles the graph and returns the run as a cold
 * event stream. Nothing is written before the graph has been validated.
 */
export async function startPipelineRun(prepared: PreparedPipelineRun, options: Pick<PipelineRunOptions, 'backend' | 'out'> = {}): Promise<StartedPipelineRun> {
  const { definition } = prepared.validated;
  const runtime = await TensorRuntime.create({
    backend: options.backend,
    seed: definition.schedule.seed,
    candidates: prepared.container.getAll<BackendCandidate>(BACKEND_CANDIDATE),
  });
  const dataRoot = resolve(definition.data);
  if (!existsSync(dataRoot)) {
    throw new MicflowError('invalid-data', `data root ${dataRoot} does not exist (pipeline "data" or --data)`);
  }
  const runDirectory = options.out === null ? undefined : createRunDirectory(options.out, definition.name);
  if (runDirectory) {
    const config = runConfigOf(prepared.validated, dataRoot, { source: prepared.source, backend: runtime.backendName, backendReason: runtime.selection.reason });
    writeFileSync(join(runDirectory, 'config.json'), JSON.stringify(config, null, 2));
  }
  const compiled = await compilePipeline(prepared.validated, runtime.random, {
    pipelineName: definition.name,
    dataRoot,
    runDirectory,
    iterations: definition.schedule.iterations,
    seed: definition.schedule.seed,
    checkpoints: new CheckpointStore(runDirectory ? join(runDirectory, 'checkpoints') : undefined),
  });
  return { compiled, runtime, runDirectory, events: compiled.run({ backend: runtime.backendName, backendReason: runtime.selection.reason }) };
}

function createRunDirectory(out: string | undefined, name: string): string {
  let directory: string;
  if (out) {
    directory = resolve(out);
    if (existsSync(directory) && readdirSync(directory).length) {
      throw new MicflowError('invalid-argument', `--out ${out}: the folder is not empty; choose a new folder for this run`);
    }
  } else {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    directory = resolve('runs', `${name}-${stamp}`);
    for (let i = 2; existsSync(directory); i++) directory = resolve('runs', `${name}-${stamp}-${i}`);
  }
  mkdirSync(directory, { recursive: true });
  return directory;
}
