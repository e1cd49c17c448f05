import { MicflowError } from '../errors/micflow-error.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { inMemoryRunContext, type RunContext } from './run-context.js';
import type { StageClass } from './stage.js';

export interface InstantiateStageOptions {
  /** The node name the stage sees (messages, metric keys, variable names). */
  readonly nodeName: string;
  /** The node's params as a pipeline would write them; the stage's schema parses them (defaults filled in). */
  readonly params?: unknown;
  /** The node's randomness; default `new SeededRandom(0).derive('node', nodeName)`. */
  readonly random?: SeededRandom;
  /** The run the stage belongs to; default an in-memory run (no directory, checkpoints kept in memory). */
  readonly run?: RunContext;
}

/**
 * One stage instance outside a pipeline, for unit tests of a stage (yours or micflow's) and for tools: its params go
 * through the stage's own zod schema, as validation does in a pipeline.
 *
 * @throws MicflowError('invalid-pipeline') naming `nodes.<node>.params.<key>` for params the schema rejects.
 */
export function instantiateStage<C extends StageClass>(stageClass: C, options: InstantiateStageOptions): InstanceType<C> {
  const parsed = stageClass.paramsSchema.safeParse(options.params ?? {});
  if (!parsed.success) {
    throw new MicflowError(
      'invalid-pipeline',
      `stage ${stageClass.className}: params rejected`,
      parsed.error.issues.map((issue) => `${['nodes', options.nodeName, 'params', ...issue.path.map(String)].join('.')}: ${issue.message}`),
    );
  }
  return new stageClass({
    nodeName: options.nodeName,
    params: parsed.data,
    random: options.random ?? new SeededRandom(0).derive('node', options.nodeName),
    run: options.run ?? inMemoryRunContext(),
  }) as InstanceType<C>;
}

