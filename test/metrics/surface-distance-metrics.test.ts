import { describe, expect, it } from 'vitest';
import { averageSymmetricSurfaceDistance } from '../../src/metrics/average-symmetric-surface-distance.js';
import {
  hausdorffDistance,
  linearPercentile,
  orderStatisticPercentile,
  percentileHausdorffDistance,
  pymicHausdorffDistance95,
} from '../../src/metrics/hausdorff-distance.js';
import { normalisedSurfaceDice } from '../../src/metrics/normalised-surface-dice.js';
import { symmetricSurfaceDistances } from '../../src/metrics/surface-distances.js';
import { surfaceVoxels } from '../../src/metrics/surface-voxels.js';
import { ballMask, boxMask, bruteForceNearestDistances, discMask, nonZeroCoordinates, pseudoRandomMask, rectangleMask } from './metric-test-shapes.js';

describe('surface distance metrics', () => {
  for (const k of [1, 2, 5]) {
    describe(`having a 10×10 square and the same square shifted by ${k} columns, spacing [0.6, 1.7]`, () => {
      it(`should give a Hausdorff distance of exactly ${k}·1.7`, () => {
        const a = rectangleMask(20, 30, 5, 15, 5, 15);
        const b = rectangleMask(20, 30, 5, 15, 5 + k, 15 + k);
        const distances = symmetricSurfaceDistances(a, b, [20, 30], [0.6, 1.7]);
        expect(hausdorffDistance(distances)).toBeCloseTo(k * 1.7, 12);
      });
    });
  }

  describe('having two 3D cubes shifted by 3 slices, spacing [2.5, 0.5, 0.5]', () => {
    it('should give a Hausdorff distance of exactly 3·2.5', () => {
      const a = boxMask([16, 10, 10], [2, 2, 2], [8, 8, 8]);
      const b = boxMask([16, 10, 10], [5, 2, 2], [11, 8, 8]);
      expect(hausdorffDistance(symmetricSurfaceDistances(a, b, [16, 10, 10], [2.5, 0.5, 0.5]))).toBeCloseTo(7.5, 12);
    });
  });

  describe('having two parallel full planes k slices apart (every voxel a surface voxel at distance k·s)', () => {
    it('should give ASSD = HD95 = HD = k·s exactly, and surface Dice 0 below / 1 at that tolerance', () => {
      const shape = [9, 6, 5] as const;
      const a = boxMask(shape, [1, 0, 0], [2, 6, 5]);
      const b = boxMask(shape, [5, 0, 0], [6, 6, 5]);
      const distances = symmetricSurfaceDistances(a, b, [...shape], [1.25, 0.3, 0.4]);
      expect(averageSymmetricSurfaceDistance(distances)).toBeCloseTo(5, 12);
      expect(percentileHausdorffDistance(distances)).toBeCloseTo(5, 12);
      expect(hausdorffDistance(distances)).toBeCloseTo(5, 12);
      expect(normalisedSurfaceDice(distances, 4.99)).toBe(0);
      expect(normalisedSurfaceDice(distances, 5 + 1e-9)).toBe(1);
    });
  });

  describe('having concentric spheres of radius 6 and 9 voxels (isotropic 1 mm)', () => {
    it('should give a Hausdorff distance within one voxel diagonal of the analytic 3 mm', () => {
      const shape = [23, 23, 23];
      const distances = symmetricSurfaceDistances(ballMask(shape, [11, 11, 11], 6), ballMask(shape, [11, 11, 11], 9), shape, [1, 1, 1]);
      expect(Math.abs(hausdorffDistance(distances) - 3)).toBeLessThan(Math.sqrt(3));
      expect(Math.abs(averageSymmetricSurfaceDistance(distances) - 3)).toBeLessThan(0.75);
    });
  });

  describe('having a disc and a rectangle with spacing [0.8, 1.3] (reference: scipy distance_transform_edt as medpy)', () => {
    // Values computed with numpy/scipy: surfaces as mask ^ binary_erosion(mask, connectivity 1), distances from
    // distance_transform_edt(~border, sampling), hd95 = np.percentile(pooled, 95).
    const a = discMask(20, 24, [9, 11], 6, [0.8, 1.3]);
    const b = rectangleMask(20, 24, 4, 15, 6, 19);
    const distances = symmetricSurfaceDistances(a, b, [20, 24], [0.8, 1.3]);
    it('should count 32 and 44 surface pixels', () => {
      expect(distances.predictionToGroundTruth.length).toBe(32);
      expect(distances.groundTruthToPrediction.length).toBe(44);
    });
    it("should give PyMIC's HD95 3.981205847478877 (B → A, its 44 distances' index ⌊44·0.95⌋ = 41)", () => {
      // Reference as above, then max(sorted(d)[int(len(d) * 0.95)] for each direction): 3.2 (A → B) and 3.9812… (B → A).
      expect(pymicHausdorffDistance95(distances)).toBeCloseTo(3.981205847478877, 10);
    });
    it('should give HD95 3.9203014618697196, HD 4.215447781671599, ASSD 1.7276823162106583, NSD(1.5) 0.5', () => {
      expect(percentileHausdorffDistance(distances)).toBeCloseTo(3.9203014618697196, 10);
      expect(hausdorffDistance(distances)).toBeCloseTo(4.215447781671599, 10);
      expect(averageSymmetricSurfaceDistance(distances)).toBeCloseTo(1.7276823162106583, 10);
      expect(normalisedSurfaceDice(distances, 1.5)).toBeCloseTo(0.5, 12);
    });
  });

  describe('having a ball and a box with spacing [2, 0.9, 1.1] (reference: scipy as above)', () => {
    it('should give HD95 2.0, HD 2.4535688292770597, ASSD 0.6800841251052008, NSD(1) 0.6597938144329897', () => {
      const shape = [9, 12, 14];
      const a = ballMask(shape, [4, 6, 7], 5.2, [2, 0.9, 1.1]);
      const b = boxMask([9, 12, 14], [2, 3, 2], [7, 10, 11]);
      const distances = symmetricSurfaceDistances(a, b, shape, [2, 0.9, 1.1]);
      expect(distances.predictionToGroundTruth.length).toBe(178);
      expect(percentileHausdorffDistance(distances)).toBeCloseTo(2.0, 10);
      // PyMIC's: the directed order statistics are 1.8 (A → B, index 169 of 178) and 2.2825… (B → A, index 199 of 210).
      expect(pymicHausdorffDistance95(distances)).toBeCloseTo(2.2825424421026654, 10);
      expect(hausdorffDistance(distances)).toBeCloseTo(2.4535688292770597, 10);
      expect(averageSymmetricSurfaceDistance(distances)).toBeCloseTo(0.6800841251052008, 10);
      expect(normalisedSurfaceDice(distances, 1)).toBeCloseTo(0.6597938144329897, 12);
    });
  });

  describe('having pseudo-random 3D masks', () => {
    it('should give the same directed distances as a brute-force search over surface voxels', () => {
      const shape = [6, 7, 8];
      const spacing = [1.5, 0.7, 1];
      const a = pseudoRandomMask(336, 0.3, 11);
      const b = pseudoRandomMask(336, 0.2, 12);
      const distances = symmetricSurfaceDistances(a, b, shape, spacing);
      const surfaceA = nonZeroCoordinates(surfaceVoxels(a, shape), shape);
      const surfaceB = nonZeroCoordinates(surfaceVoxels(b, shape), shape);
      const expected = bruteForceNearestDistances(surfaceA, surfaceB, spacing);
      expect(distances.predictionToGroundTruth.length).toBe(expected.length);
      expected.forEach((d, i) => expect(distances.predictionToGroundTruth[i]).toBeCloseTo(d, 10));
    });
  });

  describe('having one empty side', () => {
    it('should give NaN distances and surface Dice 0', () => {
      const distances = symmetricSurfaceDistances(rectangleMask(5, 5, 1, 3, 1, 3), new Uint8Array(25), [5, 5], [1, 1]);
      expect(hausdorffDistance(distances)).toBeNaN();
      expect(percentileHausdorffDistance(distances)).toBeNaN();
      expect(pymicHausdorffDistance95(distances)).toBeNaN();
      expect(averageSymmetricSurfaceDistance(distances)).toBeNaN();
      expect(normalisedSurfaceDice(distances, 1)).toBe(0);
    });
  });

  describe('having both sides empty', () => {
    it('should give NaN distances and surface Dice 1', () => {
      const distances = symmetricSurfaceDistances(new Uint8Array(25), new Uint8Array(25), [5, 5], [1, 1]);
      expect(hausdorffDistance(distances)).toBeNaN();
      expect(averageSymmetricSurfaceDistance(distances)).toBeNaN();
      expect(normalisedSurfaceDice(distances, 1)).toBe(1);
    });
  });

  describe('linearPercentile', () => {
    it('should match numpy.percentile: [1,2,3,4] at 95 → 3.85, at 50 → 2.5; one value → that value', () => {
      expect(linearPercentile([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 12);
      expect(linearPercentile([1, 2, 3, 4], 50)).toBe(2.5);
      expect(linearPercentile([7], 95)).toBe(7);
      expect(linearPercentile([1, 2, 3, 4], 100)).toBe(4);
    });
  });
  describe('having directed distances where one surface has a single far point: nine at 0 and one at 4 mm, and ten at 0', () => {
    // Pooled (medpy): 20 values, 19 zeros then 4; position (20 − 1)·0.95 = 18.05 lies between the 19th value (0) and
    // the 20th (4): 0 + 0.05·(4 − 0) = 0.2.
    // PyMIC: prediction → ground truth sorted [0 ×9, 4], index ⌊10·0.95⌋ = ⌊9.5⌋ = 9 → 4; ground truth → prediction
    // [0 ×10], index 9 → 0; the larger is 4.
    const distances = { predictionToGroundTruth: Float64Array.from([0, 0, 4, 0, 0, 0, 0, 0, 0, 0]), groundTruthToPrediction: new Float64Array(10) };
    it("should give medpy's pooled HD95 0.2 (unchanged definition)", () => {
      expect(percentileHausdorffDistance(distances)).toBeCloseTo(0.2, 12);
    });
    it("should give PyMIC's HD95 4, the far point's distance", () => {
      expect(pymicHausdorffDistance95(distances)).toBe(4);
    });
  });

  describe('orderStatisticPercentile', () => {
    it("should take Python's sorted(d)[int(len(d) * p)]: index ⌊n·0.95⌋, at most n − 1", () => {
      // n = 20: 20·0.95 = 19 (19.0 in doubles, as in Python) → the largest value, where numpy's linear method gives 19.05.
      const twenty = Array.from({ length: 20 }, (_, i) => 20 - i); // 20, 19, ..., 1: sorting is the function's job
      expect(orderStatisticPercentile(twenty, 95)).toBe(20);
      expect(linearPercentile(Float64Array.from(twenty).sort(), 95)).toBeCloseTo(19.05, 12);
      // n = 4: ⌊3.8⌋ = 3 → the largest of [1, 2, 3, 4]; n = 10: ⌊9.5⌋ = 9; n = 21: ⌊19.95⌋ = 19 (not the largest).
      expect(orderStatisticPercentile([4, 1, 3, 2], 95)).toBe(4);
      expect(orderStatisticPercentile(Array.from({ length: 21 }, (_, i) => i), 95)).toBe(19);
      expect(orderStatisticPercentile([1, 2, 3, 4], 100)).toBe(4);
      expect(orderStatisticPercentile([], 95)).toBeNaN();
    });
  });
});
