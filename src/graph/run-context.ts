import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { RunCheckpoints } from '../checkpoints/in-memory-checkpoints.js';
import { runDirectoryFiles } from '../io/run-directory-files.js';
import type { RunFiles } from '../io/run-files.js';

/** Facts and services of one pipeline run, shared by all its nodes. */
export interface RunContext {
  readonly pipelineName: string;
  /** Root that relative data paths (CSV lists and the files they name) are resolved against. */
  readonly dataRoot: string;
  /** Where this run writes its config, metrics, checkpoints and tables; undefined for in-memory runs (tests). */
  readonly runDirectory: string | undefined;
  readonly iterations: number;
  readonly seed: number;
  /** The run's snapshots: a CheckpointStore in Node (written to the run directory when there is one), in memory in the browser. */
  readonly checkpoints: RunCheckpoints;
  /** Where stages put their tables and overlays: the run directory in Node, memory in a tab; absent, nowhere. */
  readonly files?: RunFiles;
}

/** A run that writes nothing: checkpoints stay in memory; data paths resolve against `dataRoot` (default the cwd). */
export function inMemoryRunContext(overrides: Partial<Omit<RunContext, 'checkpoints'>> = {}): RunContext {
  return {
    pipelineName: overrides.pipelineName ?? 'in-memory',
    dataRoot: overrides.dataRoot ?? process.cwd(),
    runDirectory: overrides.runDirectory,
    iterations: overrides.iterations ?? 1,
    seed: overrides.seed ?? 0,
    checkpoints: new CheckpointStore(overrides.runDirectory ? `${overrides.runDirectory}/checkpoints` : undefined),
    files: runDirectoryFiles(overrides.runDirectory),
  };
}
