import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { checkpointManifestOf, decodeCheckpointFiles, encodeCheckpointFiles, type LoadedCheckpoint } from './checkpoint-files.js';
import {
  assignVariables,
  InMemoryCheckpoints,
  type CheckpointedNetwork,
  type StoredTensor,
  type TrainingState,
} from './in-memory-checkpoints.js';

export type { LoadedCheckpoint } from './checkpoint-files.js';
export { assignVariables, InMemoryCheckpoints, type CheckpointedNetwork, type NodeStateRecord, type RunCheckpoints, type StoredTensor, type TrainingState } from './in-memory-checkpoints.js';

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
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: cannot read checkpoint (${(error as Error).message})`);
    }
    const { manifest, valuesName } = checkpointManifestOf(parsed, basename(manifestPath), manifestPath);
    const valuesPath = join(dirname(manifestPath), valuesName);
    let buffer: Buffer;
    try {
      buffer = await readFile(valuesPath);
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${manifestPath}: cannot read its values ${valuesPath} (${(error as Error).message})`);
    }
    return decodeCheckpointFiles(manifest, buffer, manifestPath);
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
  const stamp = `${String(iteration).padStart(7, '0')}-${process.pid}-${Date.now().toString(36)}`;
  const valuesName = `${tag}.${stamp}.bin`;
  const { manifest, values: all } = encodeCheckpointFiles({ tag, iteration, variables, state, valuesName });
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
