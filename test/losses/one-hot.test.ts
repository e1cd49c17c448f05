import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertLabelsInRange, oneHotLabels } from '../../src/losses/one-hot.js';
import { MicflowError } from '../../src/errors/micflow-error.js';
import { BACKENDS, useBackend } from './tensor-test-helpers.js';

for (const backend of BACKENDS) {
  describe(`oneHotLabels on the ${backend} backend`, () => {
    beforeAll(async () => useBackend(backend));

    it('having a 1x2x2 int32 class map with 3 classes, should give float32 [1,2,2,3] channels last', () => {
      const out = oneHotLabels(tf.tensor3d([0, 2, 1, 0], [1, 2, 2], 'int32'), 3);
      expect(out.shape).toEqual([1, 2, 2, 3]);
      expect(out.dtype).toBe('float32');
      expect(Array.from(out.dataSync())).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
    });
    it('having float labels, should throw invalid-argument', () => {
      expect(() => oneHotLabels(tf.tensor3d([0, 1], [1, 1, 2]), 2)).toThrow(/int32/);
    });
  });
}

describe('assertLabelsInRange', () => {
  it('having labels all in 0..2, should not throw', () => {
    expect(() => assertLabelsInRange(new Int32Array([0, 1, 2, 2]), 3, 'case-1 label')).not.toThrow();
  });
  it('having a label equal to the class count, should throw invalid-data naming where, value and index', () => {
    let thrown: unknown;
    try {
      assertLabelsInRange(new Int32Array([0, 1, 3, 5]), 3, 'case-7/label.nii.gz');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MicflowError);
    expect((thrown as MicflowError).kind).toBe('invalid-data');
    expect((thrown as MicflowError).message).toBe(
      'case-7/label.nii.gz: label value 3 at index 2 is not a class in 0..2 (2 of 4 values are out of range)',
    );
  });
  it('having a negative label, should throw', () => {
    expect(() => assertLabelsInRange(new Int32Array([-1]), 2, 'sample 0')).toThrow(/sample 0: label value -1 at index 0/);
  });
  it('having a fractional label in a float array, should throw', () => {
    expect(() => assertLabelsInRange(new Float32Array([0, 0.5]), 2, 'x')).toThrow(/label value 0.5 at index 1/);
  });
  it('having a class count of 0, should throw invalid-argument', () => {
    expect(() => assertLabelsInRange(new Int32Array([]), 0, 'x')).toThrow(/positive integer/);
  });
});
