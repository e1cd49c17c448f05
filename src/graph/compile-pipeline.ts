import type { SeededRandom } from '../runtime/seeded-random.js';
import { compileNodes, type CompiledNodes } from './compile-nodes.js';
import type { RunContext } from './run-context.js';
import type { NetworkState } from './stage.js';
import { scheduleTicks, type TickScheduler } from './tick-scheduler.js';
import type { ValidatedPipeline } from './validated-pipeline.js';

/** A whole pipeline, built and scheduled. */
export interface CompiledPipeline extends TickScheduler {
  readonly runContext: RunContext;
  /** Network states by node name (for tests and tools). */
  readonly networks: ReadonlyMap<string, NetworkState>;
  /** The compiled nodes (stage instances, streams, feeders), for saving and restoring the training state. */
  readonly nodes: CompiledNodes;
  dispose(): void;
}

/**
 * Compiles every node of a validated pipeline ({@link compileNodes}) and schedules it ({@link scheduleTicks}).
 * `random` is the run's root randomness (the runtime's, seeded with the pipeline's seed).
 */
export async function compilePipeline(validated: ValidatedPipeline, random: SeededRandom, runContext: RunContext): Promise<CompiledPipeline> {
  const compiled = await compileNodes(validated, 'all', { run: runContext, random });
  return { ...scheduleTicks(compiled, runContext), runContext, networks: compiled.networks, nodes: compiled, dispose: compiled.dispose };
}
