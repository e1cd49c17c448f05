import { describe, expect, it } from 'vitest';
import { binaryConfusion } from '../../src/metrics/binary-confusion.js';
import { diceCoefficient, intersectionOverUnion, precision, sensitivity } from '../../src/metrics/overlap-scores.js';
import { relativeVolumeError, segmentationVolumes, voxelVolume } from '../../src/metrics/volume-measures.js';
import { ballMask, rectangleMask } from './metric-test-shapes.js';

describe('overlap scores and volumes', () => {
  describe('having prediction [1,1,1,0,0,1] and ground truth [1,1,0,1,0,0]', () => {
    // TP 2 (indices 0,1), FP 2 (2,5), FN 1 (3).
    const confusion = binaryConfusion([1, 1, 1, 0, 0, 1], [1, 1, 0, 1, 0, 0]);
    it('should count TP 2, FP 2, FN 1', () => {
      expect(confusion).toEqual({ truePositives: 2, falsePositives: 2, falseNegatives: 1 });
    });
    it('should give Dice 4/7, IoU 2/5, sensitivity 2/3, precision 1/2', () => {
      expect(diceCoefficient(confusion)).toBeCloseTo(4 / 7, 15);
      expect(intersectionOverUnion(confusion)).toBeCloseTo(2 / 5, 15);
      expect(sensitivity(confusion)).toBeCloseTo(2 / 3, 15);
      expect(precision(confusion)).toBeCloseTo(1 / 2, 15);
    });
    it('should give volumes 4·6 and 3·6 for spacing [2, 3] and a relative volume error of 1/3', () => {
      expect(segmentationVolumes(confusion, [2, 3])).toEqual({ prediction: 24, groundTruth: 18 });
      expect(relativeVolumeError(confusion)).toBeCloseTo(1 / 3, 15);
    });
  });

  describe('having two 10×10 squares overlapping in a 10×6 band', () => {
    it('should give Dice 0.6 and IoU 60/140 whatever the spacing', () => {
      const c = binaryConfusion(rectangleMask(20, 20, 0, 10, 0, 10), rectangleMask(20, 20, 0, 10, 4, 14));
      expect(diceCoefficient(c)).toBeCloseTo(0.6, 15);
      expect(intersectionOverUnion(c)).toBeCloseTo(60 / 140, 15);
    });
  });

  describe('having a voxelised ball of radius 16 mm with spacing [2, 1, 1]', () => {
    it('should measure a volume within 2% of 4/3·π·16³ mm³', () => {
      const mask = ballMask([19, 37, 37], [9, 18, 18], 16, [2, 1, 1]);
      const { groundTruth } = segmentationVolumes(binaryConfusion(mask, mask), [2, 1, 1]);
      expect(Math.abs(groundTruth / ((4 / 3) * Math.PI * 16 ** 3) - 1)).toBeLessThan(0.02);
    });
  });

  describe('having concentric balls of radius 6 and 9', () => {
    it('should give a Dice within 2% of the analytic 2·6³/(6³+9³) and a sensitivity of 1 for the smaller as ground truth', () => {
      const small = ballMask([23, 23, 23], [11, 11, 11], 6);
      const large = ballMask([23, 23, 23], [11, 11, 11], 9);
      const c = binaryConfusion(large, small);
      expect(Math.abs(diceCoefficient(c) / ((2 * 216) / (216 + 729)) - 1)).toBeLessThan(0.02);
      expect(sensitivity(c)).toBe(1);
    });
  });

  describe('having empty masks', () => {
    const empty = binaryConfusion([0, 0], [0, 0]);
    const onlyPredicted = binaryConfusion([1, 0], [0, 0]);
    const onlyTruth = binaryConfusion([0, 0], [0, 1]);
    it('when both are empty, should give Dice 1, IoU 1, RVE 0, sensitivity and precision NaN', () => {
      expect(diceCoefficient(empty)).toBe(1);
      expect(intersectionOverUnion(empty)).toBe(1);
      expect(relativeVolumeError(empty)).toBe(0);
      expect(sensitivity(empty)).toBeNaN();
      expect(precision(empty)).toBeNaN();
    });
    it('when only the prediction is non-empty, should give Dice 0, precision 0, sensitivity NaN, RVE NaN', () => {
      expect(diceCoefficient(onlyPredicted)).toBe(0);
      expect(precision(onlyPredicted)).toBe(0);
      expect(sensitivity(onlyPredicted)).toBeNaN();
      expect(relativeVolumeError(onlyPredicted)).toBeNaN();
    });
    it('when only the ground truth is non-empty, should give Dice 0, sensitivity 0, precision NaN, RVE 1', () => {
      expect(diceCoefficient(onlyTruth)).toBe(0);
      expect(sensitivity(onlyTruth)).toBe(0);
      expect(precision(onlyTruth)).toBeNaN();
      expect(relativeVolumeError(onlyTruth)).toBe(1);
    });
  });

  describe('voxelVolume', () => {
    it('should be the product of the spacings', () => {
      expect(voxelVolume([0.5, 2, 3])).toBe(3);
    });
  });
});
