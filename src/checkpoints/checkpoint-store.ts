import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { RandomPosition } from '../runtime/seeded-random.js';

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

/** A checkpoint as read from disk. */
export interface LoadedCheckpoint {
  readonly tag: string;
  readonly iteration: number;
  readonly variables: ReadonlyMap<string, StoredTensor>;
  /** Present in checkpoints written with the training state (format version 2 with nodes). */
  readonly state?: TrainingState;
}

/** The file operations a checkpoint write uses; tests substitute failing ones. */
export interface CheckpointFileSystem {
  /** Writes the whole buffer to a new file and flushes it to disk (fsync) before resolving. */
  writeDurably(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Flushes a folder's entries (the renames in it) to disk. */
  syncFolder(path: string): Promise<void>;
}

export const nodeCheckpointFileSystem: CheckpointFileSystem = {
  async writeDurably(path, data) {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      let written = 0;
      while (written < data.byteLength) written += (await handle.write(data, written, data.byteLength - written)).bytesWritten;
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncFolder(path) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } catch {
      // Some file systems refuse fsync on a folder; the rename is still atomic there.
    } finally {
      await handle.close();
    }
  },
};

const FORMAT = 'micflow-checkpoint';
const VERSION = 2;

/** On-disk manifest `<tag>.json`; the values are in the file it names (float32/int32 little-endian, 4 bytes each). */
interface CheckpointManifest {
  format: typeof FORMAT;
  version: 1 | 2;
  tag: string;
  iteration: number;
  /** The value file, beside the manifest (version 2; version 1 used `<tag>.bin`). */
  values?: string;
  variables: Array<{ name: string; shape: number[]; offset: number; length: number }>;
  state?: {
    run?: Record<string, unknown>;
    nodes: Record<string, { random?: RandomPosition; values?: unknown; tensors?: Array<{ name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number; length: number }> }>;
  };
}

/**
 * Keeps named snapshots ("best", "latest") of networks' variables (trainable and state, e.g. batch-norm running
 * statistics) and, for "latest", the run's whole training state (every node's state and random position). Every
 * snapshot is held in memory for restoring within the run and, when the run has a directory, written to
 * `checkpoints/<tag>.json` and a value file it names. A write is atomic: the value file gets a new name and is flushed
 * to disk (fsync) before the manifest is written under a temporary name, flushed and renamed over the old one, and only
 * then is the old value file removed — killed at any instant, the previous checkpoint stays whole and loadable.
 */
export class CheckpointStore {
  private readonly snapshots = new Map<string, { iteration: number; variables: ReadonlyMap<string, StoredTensor> }>();

  constructor(
    readonly directory: string | undefined,
    private readonly fileSystem: CheckpointFileSystem = nodeCheckpointFileSystem,
  ) {}

  has(tag: string): boolean {
    return this.snapshots.has(tag);
  }

  iterationOf(tag: string): number | undefined {
    return this.snapshots.get(tag)?.iteration;
  }

  /**
   * Snapshots the variables of `networks` under `tag` (and, when given, the training state, written with them);
   * returns the manifest path when written to disk.
   */
  async save(tag: string, networks: readonly CheckpointedNetwork[], iteration: number, state?: TrainingState): Promise<string | undefined> {
    const variables = new Map<string, StoredTensor>();
    for (const variable of uniqueVariables(networks)) {
      variables.set(variable.name, { shape: [...variable.shape], dtype: 'float32', data: (await variable.data()) as Float32Array });
    }
    this.snapshots.set(tag, { iteration, variables });
    if (!this.directory) return undefined;
    return writeCheckpointFiles(this.directory, tag, iteration, variables, state, this.fileSystem);
  }

  /** Copies a snapshot back into the networks' variables. Every variable must be present with the same shape. */
  restore(tag: string, networks: readonly CheckpointedNetwork[]): number {
    const snapshot = this.snapshots.get(tag);
    if (!snapshot) throw new MicflowError('invalid-checkpoint', `no checkpoint "${tag}" was saved in this run`);
    assignVariables(snapshot.variables, networks, `checkpoint "${tag}"`);
    return snapshot.iteration;
  }

  /** Takes a checkpoint read from disk as this run's snapshot of its tag (a resumed run's "best"). */
  adopt(checkpoint: LoadedCheckpoint): void {
    this.snapshots.set(checkpoint.tag, { iteration: checkpoint.iteration, variables: checkpoint.variables });
  }

  /**
   * Loads a checkpoint written by {@link save} from disk into the networks. `storedNameOf` maps a network's variable
   * name to the name it was saved under, for networks built under another name (an ensemble member).
   */
  static async load(manifestPath: string, networks: readonly CheckpointedNetwork[], storedNameOf: (variableName: string) => string = (name) => name): Promise<number> {
    const checkpoint = await CheckpointStore.read(manifestPath);
    assignVariables(checkpoint.variables, networks, manifestPath, storedNameOf);
    return checkpoint.iteration;
  }

  /** Reads a checkpoint (version 1 or 2) with its training state when it has one. */
  static async read(manifestPath: string): Promise<LoadedCheckpoint> {
    let manifest: CheckpointManifest;
    let buffer: Buffer;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CheckpointManifest;
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: cannot read checkpoint (${(error as Error).message})`);
    }
    if (manifest.format !== FORMAT || (manifest.version !== 1 && manifest.version !== 2)) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: not a micflow checkpoint (format/version)`);
    }
    const valuesPath = join(dirname(manifestPath), manifest.values ?? basename(manifestPath).replace(/\.json$/, '.bin'));
    try {
      buffer = await readFile(valuesPath);
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: cannot read its values ${valuesPath} (${(error as Error).message})`);
    }
    const words = Math.floor(buffer.byteLength / 4);
    const aligned = new Uint8Array(words * 4);
    aligned.set(buffer.subarray(0, words * 4));
    const slice = (entry: { name: string; offset: number; length: number; dtype?: 'float32' | 'int32' }, what: string) => {
      if (entry.offset + entry.length > words) throw new MicflowError('invalid-checkpoint', `${manifestPath}: value file is truncated at ${what} ${entry.name}`);
      const bytes = aligned.slice(entry.offset * 4, (entry.offset + entry.length) * 4).buffer;
      return entry.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    };
    const variables = new Map<string, StoredTensor>();
    for (const v of manifest.variables) variables.set(v.name, { shape: v.shape, dtype: 'float32', data: slice(v, 'variable') });
    let state: TrainingState | undefined;
    if (manifest.state) {
      const nodes: Record<string, NodeStateRecord> = {};
      for (const [node, record] of Object.entries(manifest.state.nodes)) {
        const tensors: Record<string, StoredTensor> = {};
        for (const t of record.tensors ?? []) tensors[t.name] = { shape: t.shape, dtype: t.dtype, data: slice(t, `node ${node} tensor`) };
        nodes[node] = { random: record.random, values: record.values, ...(record.tensors ? { tensors } : {}) };
      }
      state = { iteration: manifest.iteration, nodes, run: manifest.state.run };
    }
    return { tag: manifest.tag, iteration: manifest.iteration, variables, state };
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

async function writeCheckpointFiles(
  directory: string,
  tag: string,
  iteration: number,
  variables: ReadonlyMap<string, StoredTensor>,
  state: TrainingState | undefined,
  fileSystem: CheckpointFileSystem,
): Promise<string> {
  await mkdir(directory, { recursive: true });
  const chunks: Array<Float32Array | Int32Array> = [];
  let offset = 0;
  const place = (tensor: StoredTensor) => {
    const at = offset;
    chunks.push(tensor.data);
    offset += tensor.data.length;
    return { offset: at, length: tensor.data.length };
  };
  const stamp = `${String(iteration).padStart(7, '0')}-${process.pid}-${Date.now().toString(36)}`;
  const valuesName = `${tag}.${stamp}.bin`;
  const manifest: CheckpointManifest = { format: FORMAT, version: VERSION, tag, iteration, values: valuesName, variables: [] };
  for (const [name, tensor] of variables) manifest.variables.push({ name, shape: [...tensor.shape], ...place(tensor) });
  if (state) {
    manifest.state = { run: state.run ? { ...state.run } : undefined, nodes: {} };
    for (const [node, record] of Object.entries(state.nodes)) {
      const tensors = record.tensors
        ? Object.entries(record.tensors).map(([name, tensor]) => ({ name, shape: [...tensor.shape], dtype: tensor.dtype, ...place(tensor) }))
        : undefined;
      manifest.state.nodes[node] = { random: record.random, values: record.values, tensors };
    }
  }
  const all = new Uint8Array(offset * 4);
  let at = 0;
  for (const chunk of chunks) {
    all.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), at);
    at += chunk.byteLength;
  }
  const manifestPath = join(directory, `${tag}.json`);
  const previous = await previousValueFiles(directory, tag);
  const valuesPath = join(directory, valuesName);
  try {
    await fileSystem.writeDurably(valuesPath, all);
    await fileSystem.writeDurably(`${manifestPath}.partial`, new TextEncoder().encode(JSON.stringify(manifest)));
    await fileSystem.rename(`${manifestPath}.partial`, manifestPath);
    await fileSystem.syncFolder(directory);
  } catch (error) {
    await fileSystem.unlink(valuesPath).catch(() => undefined);
    await fileSystem.unlink(`${manifestPath}.partial`).catch(() => undefined);
    throw new MicflowError('invalid-checkpoint', `${manifestPath}: could not write checkpoint "${tag}" (${(error as Error).message}); the previous one is unchanged`);
  }
  for (const file of previous) if (file !== valuesName) await fileSystem.unlink(join(directory, file)).catch(() => undefined);
  return manifestPath;
}

/** Value files of earlier writes of a tag (`<tag>.bin` of version 1, `<tag>.<stamp>.bin` of version 2). */
async function previousValueFiles(directory: string, tag: string): Promise<string[]> {
  const files = await readdir(directory).catch(() => [] as string[]);
  return files.filter((f) => f === `${tag}.bin` || (f.startsWith(`${tag}.`) && f.endsWith('.bin') && /^\d{7}-/.test(f.slice(tag.length + 1))));
}
