import { describe, expect, it } from 'vitest';
import { LabelConvert } from '../../../src/stages/transforms/label-convert.js';
import { LabelConvertNonzero } from '../../../src/stages/transforms/label-convert-nonzero.js';
import { LabelSelect } from '../../../src/stages/transforms/label-select.js';
import { LabelSmoothing } from '../../../src/stages/transforms/label-smoothing.js';
import { LabelToProbability } from '../../../src/stages/transforms/label-to-probability.js';
import { PartialLabelToProbability } from '../../../src/stages/transforms/partial-label-to-probability.js';
import type { ExtendedSample } from '../../../src/graph/sample.js';
import { makeTransform, sampleOf } from './transform-test-helpers.js';

const labelled = (label: number[]) => sampleOf([1, label.length], label.map(() => 0), label);
const labels = (s: { label?: { data: Int32Array } }) => Array.from(s.label!.data);

describe('LabelConvert', () => {
  it('should replace listed values and keep the others', () => {
    expect(labels(makeTransform(LabelConvert, { sourceLabels: [1, 2], targetLabels: [2, 1] }).apply(labelled([0, 1, 2, 3])))).toEqual([0, 2, 1, 3]);
  });
  it('should reject lists of different lengths in the schema', () => {
    expect(() => LabelConvert.paramsSchema.parse({ sourceLabels: [1], targetLabels: [1, 2] })).toThrow('same length');
  });
});

describe('LabelConvertNonzero / LabelSelect', () => {
  it('should binarise, keep or renumber classes', () => {
    expect(labels(makeTransform(LabelConvertNonzero).apply(labelled([0, 3, 1, 0])))).toEqual([0, 1, 1, 0]);
    expect(labels(makeTransform(LabelSelect, { labels: [3, 2] }).apply(labelled([0, 1, 2, 3])))).toEqual([0, 0, 2, 3]);
    expect(labels(makeTransform(LabelSelect, { labels: [3, 2], renumber: true }).apply(labelled([0, 1, 2, 3])))).toEqual([0, 0, 2, 1]);
  });
});

describe('LabelToProbability', () => {
  it('should one-hot the label map into [...spatial, classes]', () => {
    const out = makeTransform(LabelToProbability, { classes: 3 }).apply(labelled([2, 0])) as ExtendedSample;
    expect(out.labelProbability!.shape).toEqual([1, 2, 3]);
    expect(Array.from(out.labelProbability!.data)).toEqual([0, 0, 1, 1, 0, 0]);
  });
  it('should name the sample when a value is outside the classes', () => {
    expect(() => makeTransform(LabelToProbability, { classes: 2 }).apply(labelled([0, 5]))).toThrow('test row 1: label value 5 is outside the 2 classes of node');
  });
});

describe('PartialLabelToProbability', () => {
  it('should one-hot annotated pixels, zero the unannotated ones and mark them in the pixel weight', () => {
    const out = makeTransform(PartialLabelToProbability, { classes: 2 }).apply(labelled([1, 2, 0])) as ExtendedSample;
    expect(Array.from(out.labelProbability!.data)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(Array.from(out.pixelWeight!.data)).toEqual([1, 0, 1]);
    expect(out.pixelWeight!.shape).toEqual([1, 3, 1]);
  });
  it('should honour a custom unannotated value and reject other strays', () => {
    const stage = makeTransform(PartialLabelToProbability, { classes: 2, unannotatedValue: 255 });
    expect(Array.from((stage.apply(labelled([255, 1])) as ExtendedSample).pixelWeight!.data)).toEqual([0, 1]);
    expect(() => stage.apply(labelled([2]))).toThrow('label value 2 is neither one of the 2 classes nor the unannotated value 255');
  });
});

describe('LabelSmoothing', () => {
  it('should give (1 − ε)·one-hot + ε/K from the label map or an existing soft label', () => {
    const out = makeTransform(LabelSmoothing, { classes: 2, epsilon: 0.2 }).apply(labelled([1])) as ExtendedSample;
    expect(Array.from(out.labelProbability!.data)).toEqual([0.1, 0.9].map((v) => expect.closeTo(v, 6)));
    const soft = { ...labelled([0]), labelProbability: { data: Float32Array.of(0.5, 0.5), shape: [1, 1, 2] } };
    expect(Array.from((makeTransform(LabelSmoothing, { classes: 2, epsilon: 0.2 }).apply(soft) as ExtendedSample).labelProbability!.data)).toEqual([0.5, 0.5].map((v) => expect.closeTo(v, 6)));
  });
});
