import { MicflowError } from '../errors/micflow-error.js';
import type { RandomPosition } from '../runtime/seeded-random.js';
import type { NodeStateRecord, StoredTensor, TrainingState } from './in-memory-checkpoints.js';

/**
 * The checkpoint file format, as bytes and JSON without a file system: `<tag>.json` (the manifest) and the value file
 * it names (every tensor's float32/int32 values, little-endian, 4 bytes each, one after another). CheckpointStore
 * (Node) writes and reads them on disk through these two functions; the browser studio builds the same files in a tab
 * so that a checkpoint fine-tuned there loads with `npm run infer`.
 */

export const CHECKPOINT_FORMAT = 'micflow-checkpoint';
export const CHECKPOINT_VERSION = 2;

/** A checkpoint as read back: its variables and, when it was written with it, the whole training state. */
export interface LoadedCheckpoint {
  readonly tag: string;
  readonly iteration: number;
  readonly variables: ReadonlyMap<string, StoredTensor>;
  /** Present in checkpoints written with the training state (format version 2 with nodes). */
  readonly state?: TrainingState;
}

/** The manifest `<tag>.json`; the values are in the file it names. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
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

/** What {@link encodeCheckpointFiles} encodes. */
export interface CheckpointContent {
  readonly tag: string;
  readonly iteration: number;
  readonly variables: ReadonlyMap<string, StoredTensor>;
  readonly state?: TrainingState;
  /** The value file's name, which the manifest records (CheckpointStore makes a new one for every write). */
  readonly valuesName: string;
}

/** The manifest and the value file's bytes of a checkpoint. */
export function encodeCheckpointFiles(content: CheckpointContent): { manifest: CheckpointManifest; values: Uint8Array } {
  const chunks: Array<Float32Array | Int32Array> = [];
  let offset = 0;
  const place = (tensor: StoredTensor) => {
    const at = offset;
    chunks.push(tensor.data);
    offset += tensor.data.length;
    return { offset: at, length: tensor.data.length };
  };
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    tag: content.tag,
    iteration: content.iteration,
    values: content.valuesName,
    variables: [],
  };
  for (const [name, tensor] of content.variables) manifest.variables.push({ name, shape: [...tensor.shape], ...place(tensor) });
  if (content.state) {
    manifest.state = { run: content.state.run ? { ...content.state.run } : undefined, nodes: {} };
    for (const [node, record] of Object.entries(content.state.nodes)) {
      const tensors = record.tensors
        ? Object.entries(record.tensors).map(([name, tensor]) => ({ name, shape: [...tensor.shape], dtype: tensor.dtype, ...place(tensor) }))
        : undefined;
      manifest.state.nodes[node] = { random: record.random, values: record.values, tensors };
    }
  }
  const values = new Uint8Array(offset * 4);
  let at = 0;
  for (const chunk of chunks) {
    values.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), at);
    at += chunk.byteLength;
  }
  return { manifest, values };
}

/**
 * A parsed manifest, checked to be a micflow checkpoint of a version this reader knows, and the name of its value
 * file (relative to the manifest's folder). `where` names the manifest in messages.
 */
export function checkpointManifestOf(parsed: unknown, manifestFileName: string, where: string): { manifest: CheckpointManifest; valuesName: string } {
  const manifest = parsed as CheckpointManifest;
  if (!manifest || typeof manifest !== 'object' || manifest.format !== CHECKPOINT_FORMAT || (manifest.version !== 1 && manifest.version !== 2) || !Array.isArray(manifest.variables)) {
    throw new MicflowError('invalid-checkpoint', `${where}: not a micflow checkpoint (format/version)`);
  }
  return { manifest, valuesName: manifest.values ?? manifestFileName.replace(/\.json$/, '.bin') };
}

/** The checkpoint a manifest and its value file's bytes hold; a truncated value file is refused, naming the tensor. */
export function decodeCheckpointFiles(manifest: CheckpointManifest, valueBytes: Uint8Array, where: string): LoadedCheckpoint {
  const words = Math.floor(valueBytes.byteLength / 4);
  const aligned = new Uint8Array(words * 4);
  aligned.set(valueBytes.subarray(0, words * 4));
  const slice = (entry: { name: string; offset: number; length: number; dtype?: 'float32' | 'int32' }, what: string) => {
    if (entry.offset + entry.length > words) throw new MicflowError('invalid-checkpoint', `${where}: value file is truncated at ${what} ${entry.name}`);
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
