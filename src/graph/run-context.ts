import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';

/** Facts and services of one pipeline run, shared by all its nodes. */
export interface RunContext {
  readonly pipelineName: string;
  /** Root that relative data paths (CSV lists and the files they name) are resolved against. */
  readonly dataRoot: string;
  /** Where this run writes its config, metrics, checkpoints and tables; undefined for in-memory runs (tests). */
  readonly runDirectory: string | undefined;
  readonly iterations: number;
  readonly seed: number;
  readonly checkpoints: CheckpointStore;
}
