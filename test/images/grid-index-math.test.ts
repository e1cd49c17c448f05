import { describe, expect, it } from 'vitest';
import { cropOrPad, embedSlice, extractSlice, flipAxes, inversePermutation, rotate90, transposeAxes } from '../../src/images/grid-index-math.js';
import type { Grid } from '../../src/images/grid.js';

const grid3x4: Grid<Float32Array> = { data: Float32Array.from({ length: 12 }, (_, i) => i), spatial: [3, 4], channels: 1 };
const values = (g: Grid) => Array.from(g.data);

describe('cropOrPad', () => {
  describe('having a window inside the grid', () => {
    it('should cut the values at the offset', () => {
      const out = cropOrPad(grid3x4, [1, 1], [2, 2]);
      expect(values(out)).toEqual([5, 6, 9, 10]);
      expect(out.spatial).toEqual([2, 2]);
    });
  });
  describe('having a negative offset and a larger output', () => {
    it('should pad with the fill value around the input', () => {
      const out = cropOrPad({ data: Float32Array.of(1, 2, 3, 4), spatial: [2, 2], channels: 1 }, [-1, -1], [3, 4], 9);
      expect(values(out)).toEqual([9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9]);
    });
  });
  describe('having two channels and a 3D grid', () => {
    it('should keep the channel pairs together', () => {
      const g = { data: Float32Array.from({ length: 16 }, (_, i) => i), spatial: [2, 2, 2], channels: 2 };
      // point (1, 0, 1) is index 5 → values 10, 11
      expect(values(cropOrPad(g, [1, 0, 1], [1, 1, 1]))).toEqual([10, 11]);
    });
  });
  describe('having a window entirely outside', () => {
    it('should return only fill', () => {
      expect(values(cropOrPad(grid3x4, [5, 5], [1, 2]))).toEqual([0, 0]);
    });
  });
});

describe('flipAxes', () => {
  it('should mirror the chosen axes of a 2×2×2 grid', () => {
    const g = { data: Int32Array.from({ length: 8 }, (_, i) => i), spatial: [2, 2, 2], channels: 1 };
    expect(values(flipAxes(g, [true, false, false]))).toEqual([4, 5, 6, 7, 0, 1, 2, 3]);
    expect(values(flipAxes(g, [false, false, true]))).toEqual([1, 0, 3, 2, 5, 4, 7, 6]);
  });
});

describe('transposeAxes', () => {
  it('should swap rows and columns of a 2×3 grid like numpy.transpose', () => {
    const out = transposeAxes({ data: Float32Array.of(0, 1, 2, 3, 4, 5), spatial: [2, 3], channels: 1 }, [1, 0]);
    expect(out.spatial).toEqual([3, 2]);
    expect(values(out)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('should have an inverse permutation that undoes it', () => {
    const g = { data: Float32Array.from({ length: 24 }, (_, i) => i), spatial: [2, 3, 4], channels: 1 };
    const permutation = [2, 0, 1];
    const back = transposeAxes(transposeAxes(g, permutation), inversePermutation(permutation));
    expect(back.spatial).toEqual([2, 3, 4]);
    expect(values(back)).toEqual(values(g));
  });
});

describe('rotate90', () => {
  const square = { data: Float32Array.of(1, 2, 3, 4), spatial: [2, 2], channels: 1 };
  it('should match numpy.rot90 for 1, 2 and 3 turns', () => {
    expect(values(rotate90(square, 0, 1, 1))).toEqual([2, 4, 1, 3]);
    expect(values(rotate90(square, 0, 1, 2))).toEqual([4, 3, 2, 1]);
    expect(values(rotate90(square, 0, 1, 3))).toEqual([3, 1, 4, 2]);
    expect(values(rotate90(square, 0, 1, -1))).toEqual([3, 1, 4, 2]);
  });
  it('should swap the sizes of a non-square grid (numpy.rot90 of [[0,1,2],[3,4,5]] is [[2,5],[1,4],[0,3]])', () => {
    const out = rotate90({ data: Float32Array.of(0, 1, 2, 3, 4, 5), spatial: [2, 3], channels: 1 }, 0, 1, 1);
    expect(out.spatial).toEqual([3, 2]);
    expect(values(out)).toEqual([2, 5, 1, 4, 0, 3]);
  });
});

describe('extractSlice / embedSlice', () => {
  const volume = { data: Float32Array.from({ length: 12 }, (_, i) => i + 1), spatial: [3, 2, 2], channels: 1 };
  it('should take the slice at an index along any axis', () => {
    expect(values(extractSlice(volume, 0, 1))).toEqual([5, 6, 7, 8]);
    expect(values(extractSlice(volume, 2, 1))).toEqual([2, 4, 6, 8, 10, 12]);
    expect(extractSlice(volume, 2, 1).spatial).toEqual([3, 2]);
  });
  it('should put a slice back in place with zeros elsewhere', () => {
    const back = embedSlice(extractSlice(volume, 0, 1), [3, 2, 2], 0, 1);
    expect(values(back)).toEqual([0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0]);
  });
});
