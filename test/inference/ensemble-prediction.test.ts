import { describe, expect, it } from 'vitest';
import { averageProbabilityMaps, ensemblePredictor, majorityVote } from '../../src/inference/ensemble-prediction.js';

describe('ensembles', () => {
  const a = { data: Float32Array.from([0.9, 0.1, 0.2, 0.8]), shape: [2, 1, 2] };
  const b = { data: Float32Array.from([0.5, 0.5, 0.6, 0.4]), shape: [2, 1, 2] };

  describe('having two probability maps', () => {
    it('should average them voxel by voxel', () => {
      const mean = averageProbabilityMaps([a, b]);
      [0.7, 0.3, 0.4, 0.6].forEach((v, i) => expect(mean.data[i]).toBeCloseTo(v, 6));
    });
    it('with weights 3 and 1, should weight them 3/4 and 1/4', () => {
      const mean = averageProbabilityMaps([a, b], [3, 1]);
      [0.8, 0.2, 0.3, 0.7].forEach((v, i) => expect(mean.data[i]).toBeCloseTo(v, 6));
    });
    it('when the shapes differ, should throw', () => {
      expect(() => averageProbabilityMaps([a, { data: new Float32Array(2), shape: [1, 1, 2] }])).toThrow(/shape/);
    });
  });

  describe('having two predictors', () => {
    it('should give the average of their predictions', () => {
      const predict = ensemblePredictor([() => a, () => b]);
      const out = predict({ data: new Float32Array(2), shape: [2, 1, 1] });
      expect(out.data[0]).toBeCloseTo(0.7, 6);
    });
  });

  describe('having three label maps', () => {
    it('should take the most frequent label per voxel, ties going to the smallest label', () => {
      const vote = majorityVote([Int32Array.from([1, 2, 0, 2]), Int32Array.from([1, 0, 1, 1]), Int32Array.from([2, 2, 2, 0])], 3);
      expect([...vote]).toEqual([1, 2, 0, 0]);
    });
    it('when a label is outside 0..classes−1, should throw', () => {
      expect(() => majorityVote([Int32Array.from([3])], 3)).toThrow(/label 3/);
    });
  });
});
