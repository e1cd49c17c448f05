import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { RandomPosition } from '../runtime/seeded-random.js';

/**
 * The part of the checkpoint store that needs no file system, so that the browser bundle can hold a run's "best" and
 * "latest" snapshots: {@link InMemoryCheckpoints} keeps them in memory; CheckpointStore (checkpoint-store.ts, Node)
 * extends it and also writes them to the run directory.
 */

/** What a checkpoint reads and writes of a network: its trainable variables and its state (batch-norm statistics). */
export interface CheckpointedNetwork {
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables: readonly tf.Variable[];
}

/** A tensor's values as a checkpoint holds them (float32 or int32, row-major). */
export interface StoredTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

/** What a checkpoint holds of one node beyond network variables: its random stream's position and its stage's state. */
export interface NodeStateRecord {
  readonly random?: RandomPosition;
  /** JSON the stage gave (counters, cursors, scores). */
  readonly values?: unknown;
  /** Tensors the stage gave (optimiser moments, a queue), by name. */
  readonly tensors?: Readonly<Record<string, StoredTensor>>;
}

/** The whole training state of a run at the end of one iteration, apart from the networks' variables. */
export interface TrainingState {
  readonly iteration: number;
  readonly nodes: Readonly<Record<string, NodeStateRecord>>;
  /** The run's own facts (e.g. a hash of the pipeline the state belongs to). */
  readonly run?: Readonly<Record<string, unknown>>;
}

/** What stages and the run driver use of a run's checkpoints (RunContext.checkpoints). */
export interface RunCheckpoints {
  /** Where snapshots are written; undefined when they stay in memory. */
  readonly directory: string | undefined;
  has(tag: string): boolean;
  iterationOf(tag: string): number | undefined;
  save(tag: string, networks: readonly CheckpointedNetwork[], iteration: number, state?: TrainingState): Promise<string | undefined>;
  restore(tag: string, networks: readonly CheckpointedNetwork[]): number;
  adopt(checkpoint: { readonly tag: string; readonly iteration: number; readonly variables: ReadonlyMap<string, StoredTensor> }): void;
}

/** Named snapshots ("best", "latest") of networks' variables, in memory only. */
export class InMemoryCheckpoints implements RunCheckpoints {
  readonly directory: string | undefined = undefined;
  private readonly snapshots = new Map<string, { iteration: number; variables: ReadonlyMap<string, StoredTensor> }>();

  has(tag: string): boolean {
    return this.snapshots.has(tag);
  }

  iterationOf(tag: string): number | undefined {
    return this.snapshots.get(tag)?.iteration;
  }

  /** Snapshots the variables of `networks` under `tag`; nothing is written anywhere. */
  async save(tag: string, networks: readonly CheckpointedNetwork[], iteration: number, _state?: TrainingState): Promise<string | undefined> {
    await this.snapshot(tag, networks, iteration);
    return undefined;
  }

  /** A snapshot's iteration and variables (host copies), or undefined when none was saved under `tag`. */
  snapshotOf(tag: string): { readonly iteration: number; readonly variables: ReadonlyMap<string, StoredTensor> } | undefined {
    return this.snapshots.get(tag);
  }

  /** Copies a snapshot back into the networks' variables. Every variable must be present with the same shape. */
  restore(tag: string, networks: readonly CheckpointedNetwork[]): number {
    const snapshot = this.snapshots.get(tag);
    if (!snapshot) throw new MicflowError('invalid-checkpoint', `no checkpoint "${tag}" was saved in this run`);
    assignVariables(snapshot.variables, networks, `checkpoint "${tag}"`);
    return snapshot.iteration;
  }

  /** Takes a checkpoint read from disk as this run's snapshot of its tag (a resumed run's "best"). */
  adopt(checkpoint: { readonly tag: string; readonly iteration: number; readonly variables: ReadonlyMap<string, StoredTensor> }): void {
    this.snapshots.set(checkpoint.tag, { iteration: checkpoint.iteration, variables: checkpoint.variables });
  }

  /** Reads the networks' variables back to host memory and keeps them as `tag`. */
  protected async snapshot(tag: string, networks: readonly CheckpointedNetwork[], iteration: number): Promise<ReadonlyMap<string, StoredTensor>> {
    const variables = new Map<string, StoredTensor>();
    for (const variable of uniqueVariables(networks)) {
      variables.set(variable.name, { shape: [...variable.shape], dtype: 'float32', data: (await variable.data()) as Float32Array });
    }
    this.snapshots.set(tag, { iteration, variables });
    return variables;
  }
}

/** The variables of several networks, each once (a MultiNet shares its members' variables). */
function uniqueVariables(networks: readonly CheckpointedNetwork[]): tf.Variable[] {
  const seen = new Set<string>();
  const out: tf.Variable[] = [];
  for (const variable of networks.flatMap((n) => [...n.trainableVariables, ...n.stateVariables])) {
    if (seen.has(variable.name)) continue;
    seen.add(variable.name);
    out.push(variable);
  }
  return out;
}

/** Assigns stored values to the networks' variables (every variable present with its shape, or nothing is assigned). */
export function assignVariables(
  stored: ReadonlyMap<string, StoredTensor>,
  networks: readonly CheckpointedNetwork[],
  what: string,
  storedNameOf: (variableName: string) => string = (name) => name,
): void {
  const targets = uniqueVariables(networks);
  const problems: string[] = [];
  for (const variable of targets) {
    const value = stored.get(storedNameOf(variable.name));
    if (!value) problems.push(`variable ${storedNameOf(variable.name)} is missing`);
    else if (value.shape.join('x') !== variable.shape.join('x')) {
      problems.push(`variable ${variable.name} has shape ${value.shape.join('x')}, the network has ${variable.shape.join('x')}`);
    }
  }
  if (problems.length) throw new MicflowError('invalid-checkpoint', `${what} does not fit the network`, problems.slice(0, 10));
  for (const variable of targets) {
    const value = stored.get(storedNameOf(variable.name))!;
    tf.tidy(() => variable.assign(tf.tensor(value.data, [...value.shape], value.dtype)));
  }
}

