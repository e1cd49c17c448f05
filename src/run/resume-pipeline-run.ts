import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerModule } from 'inversify';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { MicflowError } from '../errors/micflow-error.js';
import { compilePipeline } from '../graph/compile-pipeline.js';
import { readRunConfig } from '../graph/run-config.js';
import { StageRegistry } from '../graph/stage-registry.js';
import { pipelineFingerprint, restoreTrainingState } from '../graph/training-state.js';
import type { BackendCandidate } from '../runtime/backend-candidates.js';
import { TensorRuntime } from '../runtime/tensor-runtime.js';
import { loadContainerModuleFile, loadPipelineModule } from './load-pipeline-module.js';
import { BACKEND_CANDIDATE, createMicflowContainer } from './micflow-container.js';
import { contextOf, driveRun, preparePipelineRun, type PreparedPipelineRun, type RunDrivingOptions, type StartedPipelineRun } from './pipeline-run.js';
import { runConfigOf } from '../graph/run-config.js';

export interface ResumePipelineRunOptions extends RunDrivingOptions {
  /** Backend to continue on; default the one the run used (a different one continues, but not bit for bit). */
  readonly backend?: string;
  /**
   * The run as its caller builds it now (an experiment job derives its graph from a spec, not from the pipeline module
   * alone): its stages are used, and the run's graph must equal it, instead of the recorded pipeline module's.
   */
  readonly current?: PreparedPipelineRun;
}

/**
 * Continues a run from its `latest` checkpoint: rebuilds the graph from the run's `config.json` through the one
 * compiler (loading the pipeline module's and `--module` stages again), restores every network, optimiser, stateful
 * stage, feeder and random stream, adopts the saved `best` checkpoint, and runs the iterations after the checkpoint's,
 * appending to the same run directory. For the same seed, backend and thread count the result is bit-identical to a
 * run that was never interrupted.
 *
 * @throws MicflowError naming the run directory when it has no config or latest checkpoint, when the run already
 *   finished, or when the pipeline module changed since the run started (resuming would not continue the same run).
 */
export async function resumePipelineRun(runDirectory: string, options: ResumePipelineRunOptions = {}): Promise<StartedPipelineRun> {
  const configPath = join(runDirectory, 'config.json');
  if (!existsSync(configPath)) throw new MicflowError('invalid-argument', `--resume ${runDirectory}: not a run directory (no config.json)`);
  const latestPath = join(runDirectory, 'checkpoints', 'latest.json');
  if (!existsSync(latestPath)) {
    throw new MicflowError('invalid-checkpoint', `--resume ${runDirectory}: no checkpoints/latest.json (the run stopped before saving its state); start it again`);
  }

  // The stages the run used: its pipeline module's own and the --module files it recorded.
  const { facts } = readRunConfig(configPath, new StageRegistry([]), { factsOnly: true });
  const modules: ContainerModule[] = [];
  const current = options.current;
  const source =
    !current && facts.source && facts.source.endsWith('.ts') && existsSync(facts.source) ? await loadPipelineModule(facts.source, dirname(facts.source)) : undefined;
  if (source) modules.push(...source.modules);
  for (const file of facts.moduleFiles ?? []) modules.push(...(await loadContainerModuleFile(file)));
  const container = current?.container ?? createMicflowContainer(modules);
  const { validated } = readRunConfig(configPath, StageRegistry.fromContainer(container));

  // The graph as the caller builds it now, or the pipeline module as it is now, must still give the run's graph.
  if (current && pipelineFingerprint(current.validated) !== pipelineFingerprint(validated)) {
    throw new MicflowError(
      'invalid-pipeline',
      `--resume ${runDirectory}: ${current.source} changed since this run started (${firstDifference(runConfigOf(validated, validated.definition.data, {}), runConfigOf(current.validated, validated.definition.data, {}))}); resuming would not continue the same run — restore it or start a new run`,
    );
  }
  if (source) {
    const now = preparePipelineRun(source.definition, { set: facts.set, data: validated.definition.data, modules, source: source.file });
    if (pipelineFingerprint(now.validated) !== pipelineFingerprint(validated)) {
      throw new MicflowError(
        'invalid-pipeline',
        `--resume ${runDirectory}: ${source.file} changed since this run started (${firstDifference(runConfigOf(validated, validated.definition.data, {}), runConfigOf(now.validated, validated.definition.data, {}))}); resuming would not continue the same run — restore the pipeline or start a new run`,
      );
    }
  }
  const checkpoint = await CheckpointStore.read(latestPath);
  const iterations = validated.definition.schedule.iterations;
  if (checkpoint.iteration >= iterations) {
    throw new MicflowError('invalid-argument', `--resume ${runDirectory}: the run already finished (latest is iteration ${checkpoint.iteration} of ${iterations})`);
  }

  const runtime = await TensorRuntime.create({
    backend: options.backend ?? facts.backend,
    seed: validated.definition.schedule.seed,
    candidates: container.getAll<BackendCandidate>(BACKEND_CANDIDATE),
  });
  const runContext = contextOf(validated, validated.definition.data, runDirectory);
  const compiled = await compilePipeline(validated, runtime.random, runContext);
  try {
    restoreTrainingState(compiled.nodes, checkpoint, latestPath);
    const bestPath = join(runDirectory, 'checkpoints', 'best.json');
    if (existsSync(bestPath)) runContext.checkpoints.adopt(await CheckpointStore.read(bestPath));
  } catch (error) {
    compiled.dispose();
    throw error;
  }
  return driveRun({ compiled, runtime, runContext, startIteration: checkpoint.iteration, removeIfNoProgress: false, resumedFrom: latestPath }, options);
}

/** The first key at which two run configs differ, with both values, for the refusal message. */
function firstDifference(recorded: unknown, current: unknown, path = ''): string {
  if (JSON.stringify(recorded) === JSON.stringify(current)) return 'no difference';
  if (recorded && current && typeof recorded === 'object' && typeof current === 'object' && !Array.isArray(recorded)) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])];
    for (const key of keys) {
      const a = (recorded as Record<string, unknown>)[key];
      const b = (current as Record<string, unknown>)[key];
      if (JSON.stringify(a) !== JSON.stringify(b)) return firstDifference(a, b, path ? `${path}.${key}` : key);
    }
  }
  return `${path || '(pipeline)'} was ${JSON.stringify(recorded)}, is now ${JSON.stringify(current)}`;
}
