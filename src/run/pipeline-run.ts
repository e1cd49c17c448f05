import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Container, ContainerModule } from 'inversify';
import type { Observable } from 'rxjs';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { assignVariables, type StoredTensor } from '../checkpoints/in-memory-checkpoints.js';
import { runDirectoryFiles } from '../io/run-directory-files.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { RunEvent } from '../events/run-event.js';
import { compilePipeline, type CompiledPipeline } from '../graph/compile-pipeline.js';
import type { PipelineDefinition } from '../graph/pipeline-definition.js';
import { runConfigOf } from '../graph/run-config.js';
import type { RunContext } from '../graph/run-context.js';
import { StageRegistry } from '../graph/stage-registry.js';
import type { RunDriving, StopReason } from '../graph/tick-scheduler.js';
import { captureTrainingState, networksOf } from '../graph/training-state.js';
import { assertValidPipeline } from '../graph/validate-pipeline.js';
import type { ValidatedPipeline } from '../graph/validated-pipeline.js';
import type { BackendCandidate } from '../runtime/backend-candidates.js';
import { TensorRuntime } from '../runtime/tensor-runtime.js';
import { BACKEND_CANDIDATE, createMicflowContainer } from './micflow-container.js';
import { applyOverrides } from './pipeline-overrides.js';
import { createRunDirectory, removeRunDirectory } from './run-directory.js';
import { followRunLifecycle } from './run-lifecycle.js';

/** A file in the run directory whose appearance stops the run after the current tick (as Ctrl-C does). */
export const STOP_FILE = 'STOP';

/** How often a run saves its whole state as `latest` by default: every 50 iterations or 10 minutes, whichever first. */
export const DEFAULT_LATEST_EVERY = { iterations: 50, minutes: 10 } as const;

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
  /** The files those modules came from (`--module`), recorded so a resumed run loads them again. */
  readonly moduleFiles?: readonly string[];
  /** Where the pipeline was loaded from, for messages (and, when it is a file, for resuming). */
  readonly source?: string;
}

/** How a started run is driven: how often it saves `latest`, and what can stop it. */
export interface RunDrivingOptions {
  /** Save the whole training state as `latest` every this many iterations (default 50). */
  readonly latestEveryIterations?: number;
  /** …or after this many minutes since the last save, whichever comes first (default 10). */
  readonly latestEveryMinutes?: number;
  /** Asked after every tick (e.g. a signal handler's flag); the stop file in the run directory is checked too. */
  readonly stopRequested?: () => StopReason | undefined;
}

export interface PreparedPipelineRun {
  readonly validated: ValidatedPipeline;
  readonly definition: PipelineDefinition;
  readonly source: string;
  /** The run's container (built-in and user stages, backend candidates), carried from prepare to start. */
  readonly container: Container;
  readonly set: readonly string[];
  readonly moduleFiles: readonly string[];
}

export interface StartedPipelineRun {
  readonly compiled: CompiledPipeline;
  readonly runtime: TensorRuntime;
  readonly runDirectory: string | undefined;
  /** The iteration the run starts after (0, or the checkpoint's for a resumed run). */
  readonly startIteration: number;
  /** The run; subscribing starts it. */
  readonly events: Observable<RunEvent>;
}

/** Applies overrides and validates the whole graph. Writes nothing, loads no backend. */
export function preparePipelineRun(definition: PipelineDefinition, options: PipelineRunOptions = {}): PreparedPipelineRun {
  const source = options.source ?? `pipeline "${definition?.name ?? '?'}"`;
  let effective = applyOverrides(definition, options.set ?? []);
  if (options.data !== undefined) effective = { ...effective, data: options.data };
  const container = createMicflowContainer(options.modules);
  const validated = assertValidPipeline(effective, StageRegistry.fromContainer(container), source, { environment: 'node' });
  return { validated, definition: effective, source, container, set: [...(options.set ?? [])], moduleFiles: [...(options.moduleFiles ?? [])] };
}

/**
 * Chooses the backend, creates the run directory (config first), compiles the graph and returns the run as a cold
 * event stream. Nothing is written before the graph has been validated; a run that fails before its first iteration
 * completes leaves no directory behind.
 */
export async function startPipelineRun(
  prepared: PreparedPipelineRun,
  options: Pick<PipelineRunOptions, 'backend' | 'out'> & RunDrivingOptions & { readonly initialWeights?: ReadonlyMap<string, StoredTensor> } = {},
): Promise<StartedPipelineRun> {
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
  try {
    if (runDirectory) {
      const config = runConfigOf(prepared.validated, dataRoot, {
        source: prepared.source,
        backend: runtime.backendName,
        backendReason: runtime.selection.reason,
        ...(prepared.set.length ? { set: prepared.set } : {}),
        ...(prepared.moduleFiles.length ? { moduleFiles: prepared.moduleFiles } : {}),
      });
      writeFileSync(join(runDirectory, 'config.json'), JSON.stringify(config, null, 2));
    }
    const runContext = contextOf(prepared.validated, dataRoot, runDirectory);
    const compiled = await compilePipeline(prepared.validated, runtime.random, runContext);
    if (options.initialWeights) {
      try {
        assignVariables(options.initialWeights, networksOf(compiled.nodes), 'the initial weights');
      } catch (error) {
        compiled.dispose();
        throw error;
      }
    }
    return driveRun({ compiled, runtime, runContext, startIteration: 0, removeIfNoProgress: true }, options);
  } catch (error) {
    if (runDirectory) removeRunDirectory(runDirectory);
    throw error;
  }
}

/** The run context of a compiled run. */
export function contextOf(validated: ValidatedPipeline, dataRoot: string, runDirectory: string | undefined): RunContext {
  return {
    pipelineName: validated.definition.name,
    dataRoot,
    runDirectory,
    iterations: validated.definition.schedule.iterations,
    seed: validated.definition.schedule.seed,
    checkpoints: new CheckpointStore(runDirectory ? join(runDirectory, 'checkpoints') : undefined),
    files: runDirectoryFiles(runDirectory),
  };
}

/**
 * The event stream of a compiled run: `latest` saved with the whole training state on its schedule and when stopped,
 * the stop file and the caller's stop request checked after every tick, `run-status.json` kept in step.
 */
export function driveRun(
  run: { compiled: CompiledPipeline; runtime: TensorRuntime; runContext: RunContext; startIteration: number; removeIfNoProgress: boolean; resumedFrom?: string },
  options: RunDrivingOptions,
): StartedPipelineRun {
  const { compiled, runtime, runContext, startIteration } = run;
  const runDirectory = runContext.runDirectory;
  const stopFile = runDirectory ? join(runDirectory, STOP_FILE) : undefined;
  if (stopFile && existsSync(stopFile)) rmSync(stopFile);
  const driving: RunDriving = {
    backend: runtime.backendName,
    backendReason: runtime.selection.reason,
    startIteration,
    ...(run.resumedFrom ? { resumedFrom: run.resumedFrom } : {}),
    latest: {
      everyIterations: options.latestEveryIterations ?? DEFAULT_LATEST_EVERY.iterations,
      everyMinutes: options.latestEveryMinutes ?? DEFAULT_LATEST_EVERY.minutes,
      save: async (iteration) => runContext.checkpoints.save('latest', networksOf(compiled.nodes), iteration, await captureTrainingState(compiled.nodes, iteration)),
    },
    stopRequested: () => {
      const requested = options.stopRequested?.();
      if (requested) return requested;
      if (stopFile && existsSync(stopFile)) {
        rmSync(stopFile, { force: true });
        return 'stop file';
      }
      return undefined;
    },
  };
  let events = compiled.run(driving);
  if (runDirectory) {
    events = events.pipe(
      followRunLifecycle({
        runDirectory,
        pipeline: runContext.pipelineName,
        iterations: runContext.iterations,
        startIteration,
        removeIfNoProgress: run.removeIfNoProgress,
      }),
    );
  }
  return { compiled, runtime, runDirectory, startIteration, events };
}
