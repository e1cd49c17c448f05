import { describe, expect, it } from 'vitest';
import { labelConnectedComponents } from '../../src/images/connected-components.js';
import { fillHoles } from '../../src/images/fill-holes.js';
import { keepLargestComponent } from '../../src/images/keep-largest-component.js';
import { remapLabels } from '../../src/images/remap-labels.js';

/** Parses rows of digits into a row-major label map. */
function grid(...rows: string[]): { labels: Int32Array; shape: number[] } {
  return { labels: Int32Array.from(rows.join('').split('').map(Number)), shape: [rows.length, rows[0].length] };
}
function show(labels: Int32Array, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += width) out.push([...labels.subarray(i, i + width)].join(''));
  return out;
}

describe('connected components', () => {
  const { labels, shape } = grid('1100', '0001', '0011', '1000');
  it('having face connectivity, should find 3 components of sizes 2, 3, 1 and mark which touch the border', () => {
    const { components, sizes, touchesBorder } = labelConnectedComponents(labels, shape, 'face');
    expect(sizes).toEqual([0, 2, 3, 1]);
    expect(show(new Int32Array(components), 4)).toEqual(['1100', '0002', '0022', '3000']);
    expect(touchesBorder.slice(1)).toEqual([true, true, true]);
  });
  it('having a diagonal line, should find one component with full connectivity and three with face connectivity', () => {
    const diagonal = grid('100', '010', '001');
    expect(labelConnectedComponents(diagonal.labels, diagonal.shape, 'full').sizes).toEqual([0, 3]);
    expect(labelConnectedComponents(diagonal.labels, diagonal.shape, 'face').sizes).toEqual([0, 1, 1, 1]);
  });
  it('having a 3D mask with two blobs separated by an empty slice, should find 2 components', () => {
    const mask = new Uint8Array(3 * 2 * 2);
    mask.fill(1, 0, 4);
    mask.fill(1, 8, 12);
    expect(labelConnectedComponents(mask, [3, 2, 2]).sizes).toEqual([0, 4, 4]);
  });
});

describe('keepLargestComponent', () => {
  const { labels, shape } = grid('11002', '10002', '00000', '01122', '00022');
  it('per class, should keep the largest island of each class and clear the others to background', () => {
    expect(show(keepLargestComponent(labels, shape), 5)).toEqual(['11000', '10000', '00000', '00022', '00022']);
  });
  it('of the union, should keep only the largest foreground component, whatever its classes', () => {
    // Union components: {top-left 1s: 3}, {top-right 2s: 2}, {bottom 1122+22: 6}.
    expect(show(keepLargestComponent(labels, shape, { mode: 'union' }), 5)).toEqual(['00000', '00000', '00000', '01122', '00022']);
  });
  it('having two equally large islands, should keep the first in raster order', () => {
    const tie = grid('101');
    expect(show(keepLargestComponent(tie.labels, tie.shape), 3)).toEqual(['100']);
  });
});

describe('fillHoles', () => {
  it('should fill background enclosed by a class, not background that reaches the border, nor a nested class', () => {
    const { labels, shape } = grid('000000', '011110', '010010', '011110', '000000', '111000', '121000', '111000');
    // The 2×2 hole in the ring of 1s becomes 1; the 2 enclosed by 1s stays 2 (a nested structure).
    expect(show(fillHoles(labels, shape), 6)).toEqual(['000000', '011110', '011110', '011110', '000000', '111000', '121000', '111000']);
  });
  it('having a 3D shell, should fill its inside', () => {
    const shell = new Int32Array(27).fill(3);
    shell[13] = 0;
    expect(fillHoles(shell, [3, 3, 3])[13]).toBe(3);
  });
});

describe('remapLabels', () => {
  it('should replace mapped labels and keep the others', () => {
    expect([...remapLabels(Int32Array.from([0, 1, 2, 3]), { 1: 11, 2: 11 })]).toEqual([0, 11, 11, 3]);
  });
});
