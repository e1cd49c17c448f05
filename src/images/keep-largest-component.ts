import { labelConnectedComponents, type Connectivity } from './connected-components.js';

export interface KeepLargestComponentOptions {
  /** 'per-class': each foreground class keeps its own largest component; 'union': the largest component of all foreground. */
  readonly mode?: 'per-class' | 'union';
  /** Classes to clean in per-class mode; default every non-zero label present. */
  readonly classes?: readonly number[];
  readonly connectivity?: Connectivity;
}

/**
 * Post-processing that removes spurious islands (as nnU-Net's "remove all but the largest component"): voxels outside
 * the kept component become background (0). Ties between equally large components keep the one met first in raster
 * order. Returns a new label map; `labels` is row-major on `shape` (2D or 3D).
 */
export function keepLargestComponent(labels: Int32Array, shape: readonly number[], options: KeepLargestComponentOptions = {}): Int32Array {
  const out = Int32Array.from(labels);
  const connectivity = options.connectivity ?? 'face';
  if ((options.mode ?? 'per-class') === 'union') {
    const mask = new Uint8Array(labels.length);
    for (let i = 0; i < labels.length; i++) mask[i] = labels[i] !== 0 ? 1 : 0;
    clearAllButLargest(out, mask, shape, connectivity);
    return out;
  }
  const classes = options.classes ?? [...new Set(labels)].filter((v) => v !== 0).sort((a, b) => a - b);
  for (const c of classes) {
    const mask = new Uint8Array(labels.length);
    for (let i = 0; i < labels.length; i++) mask[i] = labels[i] === c ? 1 : 0;
    clearAllButLargest(out, mask, shape, connectivity);
  }
  return out;
}

function clearAllButLargest(out: Int32Array, mask: Uint8Array, shape: readonly number[], connectivity: Connectivity): void {
  const { components, sizes } = labelConnectedComponents(mask, shape, connectivity);
  if (sizes.length <= 2) return;
  let largest = 1;
  for (let id = 2; id < sizes.length; id++) if (sizes[id] > sizes[largest]) largest = id;
  for (let i = 0; i < out.length; i++) if (components[i] !== 0 && components[i] !== largest) out[i] = 0;
}
