import { describe, expect, it } from 'vitest';
import { euclideanDistanceTransform, squaredEuclideanDistanceTransform } from '../../src/images/euclidean-distance-transform.js';
import { bruteForceNearestDistances, nonZeroCoordinates, pseudoRandomMask } from '../metrics/metric-test-shapes.js';

function allCoordinates(shape: number[]): number[][] {
  return nonZeroCoordinates(new Uint8Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
}

describe('euclideanDistanceTransform', () => {
  describe('having a single feature point in a 3D grid with spacing [2.5, 1, 0.7]', () => {
    it('should give every voxel its analytic distance sqrt(Σ (s·Δ)²)', () => {
      const shape = [5, 6, 7];
      const spacing = [2.5, 1, 0.7];
      const features = new Uint8Array(5 * 6 * 7);
      features[(2 * 6 + 1) * 7 + 4] = 1;
      const d = euclideanDistanceTransform(features, shape, spacing);
      for (let z = 0; z < 5; z++)
        for (let y = 0; y < 6; y++)
          for (let x = 0; x < 7; x++) {
            const expected = Math.sqrt(((z - 2) * 2.5) ** 2 + (y - 1) ** 2 + ((x - 4) * 0.7) ** 2);
            expect(d[(z * 6 + y) * 7 + x]).toBeCloseTo(expected, 12);
          }
    });
  });

  for (const [name, shape, spacing, density] of [
    ['2D isotropic, sparse', [17, 23], [1, 1], 0.03],
    ['2D anisotropic, dense', [19, 11], [0.5, 3.2], 0.4],
    ['3D anisotropic', [7, 9, 8], [3, 0.8, 1.1], 0.05],
    ['1D', [31], [0.25], 0.1],
  ] as const) {
    describe(`having a pseudo-random mask (${name})`, () => {
      it('should equal the brute-force nearest-feature distance at every point', () => {
        const total = shape.reduce((a: number, b: number) => a * b, 1);
        const features = pseudoRandomMask(total, density, shape.length * 1000 + total);
        const d = euclideanDistanceTransform(features, [...shape], [...spacing]);
        const expected = bruteForceNearestDistances(allCoordinates([...shape]), nonZeroCoordinates(features, [...shape]), spacing);
        for (let i = 0; i < total; i++) expect(d[i]).toBeCloseTo(expected[i], 10);
      });
    });
  }

  describe('having no feature point', () => {
    it('should give +Infinity everywhere', () => {
      expect([...squaredEuclideanDistanceTransform(new Uint8Array(12), [3, 4], [1, 1])]).toEqual(new Array(12).fill(Infinity));
    });
  });

  describe('having only feature points', () => {
    it('should give 0 everywhere', () => {
      expect([...euclideanDistanceTransform(new Uint8Array(8).fill(1), [2, 2, 2], [1, 2, 3])]).toEqual(new Array(8).fill(0));
    });
  });

  describe('when the spacing does not match the shape', () => {
    it('should throw an invalid-argument MicflowError', () => {
      expect(() => euclideanDistanceTransform(new Uint8Array(4), [2, 2], [1])).toThrow(/spacing/);
      expect(() => euclideanDistanceTransform(new Uint8Array(4), [2, 2], [1, 0])).toThrow(/spacing/);
    });
  });
});
