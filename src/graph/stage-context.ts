import type { SeededRandom } from '../runtime/seeded-random.js';
import type { RunContext } from './run-context.js';

/** What a stage instance receives when the compiler creates it for one node of one pipeline run. */
export interface StageContext<P> {
  /** The node's name in the pipeline, used in messages, metrics keys and variable names. */
  readonly nodeName: string;
  /** Params after the stage's zod schema parsed them (defaults filled in). */
  readonly params: P;
  /** Randomness for this node, derived from the run seed and the node name. */
  readonly random: SeededRandom;
  /** Facts and services of the run: data root, run directory, checkpoints, schedule. */
  readonly run: RunContext;
}
