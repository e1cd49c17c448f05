import { MicflowError } from '../errors/micflow-error.js';

/**
 * Replaces labels by a mapping (e.g. network classes 0..4 back to a dataset's label values 0, 11, 12, 50, 51, or
 * several classes merged into one). Labels not in the mapping are kept. Returns a new label map.
 */
export function remapLabels(labels: Int32Array, mapping: Readonly<Record<number, number>> | ReadonlyMap<number, number>): Int32Array {
  const table = mapping instanceof Map ? mapping : new Map(Object.entries(mapping).map(([k, v]) => [Number(k), v]));
  for (const [from, to] of table) {
    if (!Number.isInteger(from) || !Number.isInteger(to)) throw new MicflowError('invalid-argument', `label remapping ${from} → ${to}: labels must be integers`);
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = table.get(labels[i]) ?? labels[i];
  return out;
}
