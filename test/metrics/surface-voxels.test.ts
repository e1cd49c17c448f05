import { describe, expect, it } from 'vitest';
import { surfaceVoxels } from '../../src/metrics/surface-voxels.js';
import { boxMask, rectangleMask } from './metric-test-shapes.js';

describe('surfaceVoxels', () => {
  describe('having a 4×4 square inside a 6×6 image', () => {
    it('should mark its 12 border pixels and not its 2×2 interior', () => {
      const surface = surfaceVoxels(rectangleMask(6, 6, 1, 5, 1, 5), [6, 6]);
      expect(surface.reduce((a, b) => a + b, 0)).toBe(12);
      for (const [y, x] of [[2, 2], [2, 3], [3, 2], [3, 3]]) expect(surface[y * 6 + x]).toBe(0);
      expect(surface[1 * 6 + 1]).toBe(1);
    });
  });

  describe('having a mask that fills the whole grid', () => {
    it('should treat the grid edge as background (medpy: erosion with border value 0)', () => {
      const surface = surfaceVoxels(new Uint8Array(9).fill(1), [3, 3]);
      expect([...surface]).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    });
  });

  describe('having a 3×3×3 cube in 3D', () => {
    it('should mark the 26 voxels that have a background face neighbour (6-connectivity), not the centre', () => {
      const surface = surfaceVoxels(boxMask([5, 5, 5], [1, 1, 1], [4, 4, 4]), [5, 5, 5]);
      expect(surface.reduce((a, b) => a + b, 0)).toBe(26);
      expect(surface[(2 * 5 + 2) * 5 + 2]).toBe(0);
    });
  });

  describe('having a diagonal-only background neighbour', () => {
    it('should not count the pixel as surface (face connectivity)', () => {
      // 3×3 full except the corner (0,0): the centre's face neighbours are all foreground.
      const mask = new Uint8Array(9).fill(1);
      mask[0] = 0;
      const surface = surfaceVoxels(mask, [3, 3]);
      expect(surface[4]).toBe(0);
    });
  });
});
