import { describe, expect, it } from 'vitest';
import { evaluateSegmentation, LABEL_METRIC_NAMES } from '../../src/metrics/segmentation-metrics.js';
import { averageSymmetricSurfaceDistance } from '../../src/metrics/average-symmetric-surface-distance.js';
import { percentileHausdorffDistance } from '../../src/metrics/hausdorff-distance.js';
import { symmetricSurfaceDistances } from '../../src/metrics/surface-distances.js';
import { ballMask, boxMask, rectangleMask } from './metric-test-shapes.js';

describe('evaluateSegmentation', () => {
  describe('having a 2D label map with labels 1 and 2, label 2 shifted by 3 columns, spacing [0.5, 2]', () => {
    const shape = [30, 40];
    const truth = new Int32Array(1200);
    const prediction = new Int32Array(1200);
    rectangleMask(30, 40, 2, 10, 2, 10).forEach((v, i) => v && (truth[i] = prediction[i] = 1));
    rectangleMask(30, 40, 15, 25, 10, 20).forEach((v, i) => v && (truth[i] = 2));
    rectangleMask(30, 40, 15, 25, 13, 23).forEach((v, i) => v && (prediction[i] = 2));
    const [one, two] = evaluateSegmentation(prediction, truth, shape, [0.5, 2], [1, 2], { surfaceTolerance: 2 });
    it('should score the identical label 1 perfectly', () => {
      expect(one).toMatchObject({ label: 1, dice: 1, iou: 1, sensitivity: 1, precision: 1, assd: 0, hd95: 0, hausdorff: 0, relativeVolumeError: 0, surfaceDice: 1 });
      expect(one.groundTruthVolume).toBe(64 * 0.5 * 2);
    });
    it('should give label 2 Dice 0.7, Hausdorff 3·2 mm and the volumes 100 mm²', () => {
      expect(two.dice).toBeCloseTo(0.7, 15);
      expect(two.hausdorff).toBeCloseTo(6, 12);
      expect(two.predictionVolume).toBe(100);
      expect(two.groundTruthVolume).toBe(100);
    });
    it('should give the same surface metrics as the uncropped whole-grid computation', () => {
      const p = prediction.map((v) => (v === 2 ? 1 : 0));
      const g = truth.map((v) => (v === 2 ? 1 : 0));
      const whole = symmetricSurfaceDistances(new Uint8Array(p), new Uint8Array(g), shape, [0.5, 2]);
      expect(two.assd).toBeCloseTo(averageSymmetricSurfaceDistance(whole), 12);
      expect(two.hd95).toBeCloseTo(percentileHausdorffDistance(whole), 12);
    });
  });

  describe('having a one-row 2D map: ground truth columns 0–9, prediction the same plus a stray pixel at column 15, spacing [1, 0.5]', () => {
    // One row, so every labelled pixel is a surface pixel (the grid edge is background).
    // Prediction → ground truth: columns 0–9 at 0, column 15 at (15 − 9)·0.5 = 3 mm (11 values); ground truth →
    // prediction: ten 0s.
    // medpy (pooled): 21 values, twenty 0s then 3; position 20·0.95 = 19 is the 20th value exactly: 0.
    // PyMIC: prediction side [0 ×10, 3], index ⌊11·0.95⌋ = ⌊10.45⌋ = 10 → 3; ground-truth side index ⌊9.5⌋ = 9 → 0;
    // the larger: 3 mm.
    const truth = new Int32Array(20);
    const prediction = new Int32Array(20);
    for (let x = 0; x < 10; x++) truth[x] = prediction[x] = 1;
    prediction[15] = 1;
    const [metrics] = evaluateSegmentation(prediction, truth, [1, 20], [1, 0.5], [1]);
    it("should keep medpy's pooled HD95 in hd95: 0", () => {
      expect(metrics.hd95).toBe(0);
    });
    it("should give PyMIC's HD95 in hd95Pymic: 3 mm", () => {
      expect(metrics.hd95Pymic).toBeCloseTo(3, 12);
    });
    it('should give the Hausdorff distance 3 mm too', () => {
      expect(metrics.hausdorff).toBeCloseTo(3, 12);
    });
  });

  describe('having a 3D case where label 3 is only in the ground truth and label 4 in neither', () => {
    it('should give label 3 Dice 0 with NaN distances and label 4 Dice 1 with NaN distances', () => {
      const truth = new Int16Array(boxMask([6, 6, 6], [1, 1, 1], [4, 4, 4])).map((v) => v * 3);
      const [three, four] = evaluateSegmentation(new Int16Array(216), truth, [6, 6, 6], [1, 1, 1], [3, 4]);
      expect(three).toMatchObject({ dice: 0, iou: 0, sensitivity: 0, surfaceDice: 0, predictionVolume: 0, groundTruthVolume: 27 });
      expect(three.hd95).toBeNaN();
      expect(three.hd95Pymic).toBeNaN();
      expect(three.assd).toBeNaN();
      expect(three.precision).toBeNaN();
      expect(four).toMatchObject({ dice: 1, iou: 1, surfaceDice: 1, relativeVolumeError: 0 });
      expect(four.hausdorff).toBeNaN();
    });
  });

  describe('when the arrays do not fit the shape or the spacing does not fit the dimension', () => {
    it('should throw', () => {
      expect(() => evaluateSegmentation(new Int32Array(5), new Int32Array(6), [2, 3], [1, 1], [1])).toThrow(/needs 6/);
      expect(() => evaluateSegmentation(new Int32Array(6), new Int32Array(6), [2, 3], [1], [1])).toThrow(/spacing/);
    });
  });

  describe('having a 181×217×181 volume with a large sphere pair (1 mm isotropic)', () => {
    it('should evaluate every metric in well under 20 s, with Hausdorff near the analytic 3 mm', () => {
      const shape = [181, 217, 181];
      const truth = ballMask(shape, [90, 108, 90], 70);
      const prediction = ballMask(shape, [90, 108, 93], 70);
      const started = performance.now();
      const [metrics] = evaluateSegmentation(prediction, truth, shape, [1, 1, 1], [1]);
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(20);
      expect(metrics.hausdorff).toBeCloseTo(3, 0);
      expect(metrics.dice).toBeGreaterThan(0.95);
      for (const name of LABEL_METRIC_NAMES) expect(Number.isFinite(metrics[name])).toBe(true);
    }, 60_000);
  });
});
