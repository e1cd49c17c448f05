import { labelConnectedComponents } from './connected-components.js';

/**
 * Fills holes per class: a hole of class c is a connected region (face connectivity, as scipy's
 * `binary_fill_holes`) of voxels not labelled c that does not touch the grid border, i.e. is enclosed by c. A hole made
 * only of background (0) becomes c; a region holding another class (a structure nested inside c) is left alone.
 * Returns a new label map; classes default to every non-zero label present.
 */
export function fillHoles(labels: Int32Array, shape: readonly number[], classes?: readonly number[]): Int32Array {
  const out = Int32Array.from(labels);
  const targets = classes ?? [...new Set(labels)].filter((v) => v !== 0).sort((a, b) => a - b);
  for (const c of targets) {
    const outside = new Uint8Array(out.length);
    for (let i = 0; i < out.length; i++) outside[i] = out[i] !== c ? 1 : 0;
    const { components, touchesBorder } = labelConnectedComponents(outside, shape, 'face');
    const fillable = touchesBorder.map((border, id) => id > 0 && !border);
    for (let i = 0; i < out.length; i++) if (fillable[components[i]] && out[i] !== 0) fillable[components[i]] = false;
    if (!fillable.some(Boolean)) continue;
    for (let i = 0; i < out.length; i++) if (fillable[components[i]]) out[i] = c;
  }
  return out;
}
