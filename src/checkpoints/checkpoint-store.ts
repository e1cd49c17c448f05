import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';

/** What a checkpoint reads and writes of a network: its trainable variables and its state (batch-norm statistics). */
export interface CheckpointedNetwork {
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables: readonly tf.Variable[];
}

interface StoredVariable {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

interface StoredCheckpoint {
  readonly tag: string;
  readonly iteration: number;
  readonly variables: ReadonlyMap<string, StoredVariable>;
}

/** On-disk manifest `<tag>.json`; the values are `<tag>.bin`, float32 little-endian, in manifest order. */
interface CheckpointManifest {
  format: 'micflow-checkpoint';
  version: 1;
  tag: string;
  iteration: number;
  variables: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

/**
 * Keeps named snapshots ("best", "latest") of networks' variables (trainable and state, e.g. batch-norm running
 * statistics). Every snapshot is held in memory for restoring within the run and, when the run has a directory,
 * also written to `checkpoints/<tag>.json` + `<tag>.bin` through a temporary file and a rename, so a crash never leaves a
 * half-written checkpoint behind.
 */
export class CheckpointStore {
  private readonly snapshots = new Map<string, StoredCheckpoint>();

  constructor(readonly directory: string | undefined) {}

  has(tag: string): boolean {
    return this.snapshots.has(tag);
  }

  iterationOf(tag: string): number | undefined {
    return this.snapshots.get(tag)?.iteration;
  }

  /** Snapshots the variables of `networks` under `tag`; returns the manifest path when written to disk. */
  async save(tag: string, networks: readonly CheckpointedNetwork[], iteration: number): Promise<string | undefined> {
    const variables = new Map<string, StoredVariable>();
    for (const variable of networks.flatMap((n) => [...n.trainableVariables, ...n.stateVariables])) {
      variables.set(variable.name, { name: variable.name, shape: [...variable.shape], values: (await variable.data()) as Float32Array });
    }
    this.snapshots.set(tag, { tag, iteration, variables });
    if (!this.directory) return undefined;
    return writeCheckpointFiles(this.directory, tag, iteration, [...variables.values()]);
  }

  /** Copies a snapshot back into the networks' variables. Every variable must be present with the same shape. */
  restore(tag: string, networks: readonly CheckpointedNetwork[]): number {
    const snapshot = this.snapshots.get(tag);
    if (!snapshot) throw new MicflowError('invalid-checkpoint', `no checkpoint "${tag}" was saved in this run`);
    assignVariables(snapshot.variables, networks, `checkpoint "${tag}"`);
    return snapshot.iteration;
  }

  /**
   * Loads a checkpoint written by {@link save} from disk into the networks. `storedNameOf` maps a network's variable
   * name to the name it was saved under, for networks built under another name (an ensemble member).
   */
  static async load(manifestPath: string, networks: readonly CheckpointedNetwork[], storedNameOf: (variableName: string) => string = (name) => name): Promise<number> {
    let manifest: CheckpointManifest;
    let buffer: Buffer;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CheckpointManifest;
      buffer = await readFile(manifestPath.replace(/\.json$/, '.bin'));
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: cannot read checkpoint (${(error as Error).message})`);
    }
    if (manifest.format !== 'micflow-checkpoint' || manifest.version !== 1) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: not a micflow checkpoint (format/version)`);
    }
    const floats = new Float32Array(buffer.buffer, buffer.byteOffset, Math.floor(buffer.byteLength / 4));
    const variables = new Map<string, StoredVariable>();
    for (const v of manifest.variables) {
      if (v.offset + v.length > floats.length) {
        throw new MicflowError('invalid-checkpoint', `${manifestPath}: value file is truncated at variable ${v.name}`);
      }
      variables.set(v.name, { name: v.name, shape: v.shape, values: floats.slice(v.offset, v.offset + v.length) });
    }
    assignVariables(variables, networks, manifestPath, storedNameOf);
    return manifest.iteration;
  }
}

function assignVariables(
  stored: ReadonlyMap<string, StoredVariable>,
  networks: readonly CheckpointedNetwork[],
  what: string,
  storedNameOf: (variableName: string) => string = (name) => name,
): void {
  const targets = networks.flatMap((n) => [...n.trainableVariables, ...n.stateVariables]);
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
    tf.tidy(() => variable.assign(tf.tensor(value.values, value.shape, 'float32')));
  }
}

async function writeCheckpointFiles(directory: string, tag: string, iteration: number, variables: StoredVariable[]): Promise<string> {
  await mkdir(directory, { recursive: true });
  let offset = 0;
  const manifest: CheckpointManifest = { format: 'micflow-checkpoint', version: 1, tag, iteration, variables: [] };
  for (const v of variables) {
    manifest.variables.push({ name: v.name, shape: v.shape, offset, length: v.values.length });
    offset += v.values.length;
  }
  const all = new Float32Array(offset);
  for (const [i, v] of variables.entries()) all.set(v.values, manifest.variables[i].offset);
  const manifestPath = join(directory, `${tag}.json`);
  const valuesPath = join(directory, `${tag}.bin`);
  await writeFile(`${valuesPath}.partial`, new Uint8Array(all.buffer));
  await writeFile(`${manifestPath}.partial`, JSON.stringify(manifest));
  await rename(`${valuesPath}.partial`, valuesPath);
  await rename(`${manifestPath}.partial`, manifestPath);
  return manifestPath;
}
