import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { RandomPosition } from '../runtime/seeded-random.js';
import {
  assignVariables,
  InMemoryCheckpoints,
  type CheckpointedNetwork,
  type NodeStateRecord,
  type StoredTensor,
  type TrainingState,
} from './in-memory-checkpoints.js';

export { assignVariables, InMemoryCheckpoints, type CheckpointedNetwork, type NodeStateRecord, type RunCheckpoints, type StoredTensor, type TrainingState } from './in-memory-checkpoints.js';

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
export class CheckpointStore extends InMemoryCheckpoints {
  constructor(
    override readonly directory: string | undefined,
    private readonly fileSystem: CheckpointFileSystem = nodeCheckpointFileSystem,
  ) {
    super();
  }

  /**
   * Snapshots the variables of `networks` under `tag` (and, when given, the training state, written with them);
   * returns the manifest path when written to disk.
   */
  override async save(tag: string, networks: readonly CheckpointedNetwork[], iteration: number, state?: TrainingState): Promise<string | undefined> {
    const variables = await this.snapshot(tag, networks, iteration);
    if (!this.directory) return undefined;
    return writeCheckpointFiles(this.directory, tag, iteration, variables, state, this.fileSystem);
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
