import { describe, expect, it } from 'vitest';
import { classwiseDice } from '../../src/metrics/dice-score.js';
import { argmaxChannelsLast } from '../../src/images/argmax-channels-last.js';

describe('classwiseDice', () => {
  describe('having prediction [0,1,1,2,2,0] and ground truth [0,1,2,2,0,0] with 3 classes', () => {
    // Class 0: P = {0,5}, G = {0,4,5}, overlap 2 -> 2*2 / (2+3) = 0.8
    // Class 1: P = {1,2}, G = {1},     overlap 1 -> 2*1 / (2+1) = 2/3
    // Class 2: P = {3,4}, G = {2,3},   overlap 1 -> 2*1 / (2+2) = 0.5
    it('should give [0.8, 2/3, 0.5]', () => {
      const dice = classwiseDice([0, 1, 1, 2, 2, 0], new Int32Array([0, 1, 2, 2, 0, 0]), 3);
      expect(dice[0]).toBeCloseTo(0.8, 12);
      expect(dice[1]).toBeCloseTo(2 / 3, 12);
      expect(dice[2]).toBeCloseTo(0.5, 12);
    });
  });
  describe('having identical arrays', () => {
    it('should be 1 for every class present', () => {
      expect(classwiseDice([1, 0, 1], [1, 0, 1], 2)).toEqual([1, 1]);
    });
  });
  describe('having a class absent from both prediction and ground truth', () => {
    it('should score that class 1', () => {
      expect(classwiseDice([0, 1], [0, 1], 3)).toEqual([1, 1, 1]);
    });
  });
  describe('having a class in only one of the two', () => {
    it('when only predicted, should score 0', () => {
      expect(classwiseDice([0, 2], [0, 0], 3)).toEqual([2 / 3, 1, 0]);
    });
    it('when only in the ground truth, should score 0', () => {
      expect(classwiseDice([0, 0], [0, 2], 3)).toEqual([2 / 3, 1, 0]);
    });
  });
  describe('having empty arrays', () => {
    it('should score every class 1', () => {
      expect(classwiseDice([], [], 2)).toEqual([1, 1]);
    });
  });
  describe('having bad input', () => {
    it('when lengths differ, should throw invalid-shape', () => {
      expect(() => classwiseDice([0, 1], [0], 2)).toThrow(/prediction has 2 values but ground truth has 1/);
    });
    it('when a prediction value is out of range, should throw naming it', () => {
      expect(() => classwiseDice([0, 4], [0, 1], 2)).toThrow(/prediction value 4 at index 1/);
    });
    it('when a ground-truth value is out of range, should throw naming it', () => {
      expect(() => classwiseDice([0, 1], [-1, 1], 2)).toThrow(/ground truth value -1 at index 0/);
    });
  });
});

describe('argmaxChannelsLast', () => {
  it('having 3 pixels of 3 channels, should pick the largest channel per pixel', () => {
    const prob = new Float32Array([0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.0, 0.1, 0.9]);
    expect(Array.from(argmaxChannelsLast(prob, 3))).toEqual([1, 0, 2]);
  });
  it('having a tie, should pick the lowest channel', () => {
    expect(Array.from(argmaxChannelsLast(new Float32Array([0.2, 0.4, 0.4]), 3))).toEqual([1]);
  });
  it('having NaN, should never pick it, and 0 when all are NaN', () => {
    expect(Array.from(argmaxChannelsLast(new Float32Array([NaN, 0.1, NaN, NaN]), 2))).toEqual([1, 0]);
  });
  it('having negative scores (logits), should still pick the largest', () => {
    expect(Array.from(argmaxChannelsLast(new Float32Array([-5, -1, -3]), 3))).toEqual([1]);
  });
  it('having a length that is not a multiple of the channels, should throw invalid-shape', () => {
    expect(() => argmaxChannelsLast(new Float32Array(5), 2)).toThrow(/5 values are not a whole number of 2-channel pixels/);
  });
  it('having argmax output fed to classwiseDice, should score a perfect prediction 1', () => {
    const labels = argmaxChannelsLast(new Float32Array([0.9, 0.1, 0.2, 0.8]), 2);
    expect(classwiseDice(labels, [0, 1], 2)).toEqual([1, 1]);
  });
});
