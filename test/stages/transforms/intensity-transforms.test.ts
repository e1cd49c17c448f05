import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { BrightnessAdditive } from '../../../src/stages/transforms/brightness-additive.js';
import { BrightnessMultiplicative } from '../../../src/stages/transforms/brightness-multiplicative.js';
import { ContrastAdjust } from '../../../src/stages/transforms/contrast-adjust.js';
import { GammaCorrection } from '../../../src/stages/transforms/gamma-correction.js';
import { GaussianBlur } from '../../../src/stages/transforms/gaussian-blur.js';
import { GaussianNoise } from '../../../src/stages/transforms/gaussian-noise.js';
import { HistEqual } from '../../../src/stages/transforms/hist-equal.js';
import { IntensityClip } from '../../../src/stages/transforms/intensity-clip.js';
import { NormalizeWithMeanStd } from '../../../src/stages/transforms/normalize-with-mean-std.js';
import { NormalizeWithMinMax } from '../../../src/stages/transforms/normalize-with-min-max.js';
import { NormalizeWithPercentiles } from '../../../src/stages/transforms/normalize-with-percentiles.js';
import { makeTransform, ramp, sampleOf } from './transform-test-helpers.js';

const values = (a: { data: ArrayLike<number> }) => Array.from(a.data);
const close = (xs: number[]) => xs.map((x) => expect.closeTo(x, 5));
const r0 = new SeededRandom(0);

describe('NormalizeWithMeanStd', () => {
  it('should normalise each channel of a 3D two-channel image with its own statistics', () => {
    // channel 0: 0, 2, 4, 6 (mean 3, std √5); channel 1: 10 everywhere (std 0)
    const out = makeTransform(NormalizeWithMeanStd, {}).apply(sampleOf([1, 2, 2], [0, 10, 2, 10, 4, 10, 6, 10], undefined, 2));
    const s = Math.sqrt(5) + 1e-5;
    expect(values(out.image)).toEqual(close([-3 / s, 0, -1 / s, 0, 1 / s, 0, 3 / s, 0]));
  });
  it('should use fixed mean and std when given', () => {
    const out = makeTransform(NormalizeWithMeanStd, { mean: [1], std: [2] }).apply(sampleOf([2, 2], [1, 3, 5, 7]));
    expect(values(out.image)).toEqual(close([0, 1, 2, 3]));
  });
  it('with perSlice, should normalise each axial slice of a volume by its own mean and std (slice 0: 0, 2; slice 1: 10, 30)', () => {
    const out = makeTransform(NormalizeWithMeanStd, { perSlice: true }).apply(sampleOf([2, 1, 2], [0, 2, 10, 30]));
    expect(values(out.image)).toEqual(close([-1 / (1 + 1e-5), 1 / (1 + 1e-5), -10 / (10 + 1e-5), 10 / (10 + 1e-5)]));
    // Without perSlice the volume's own statistics (mean 10.5, std √140.75) apply to both slices.
    const whole = makeTransform(NormalizeWithMeanStd, {}).apply(sampleOf([2, 1, 2], [0, 2, 10, 30]));
    expect(values(whole.image)[0]).toBeCloseTo(-10.5 / (Math.sqrt(140.75) + 1e-5), 5);
  });
});

describe('NormalizeWithMinMax', () => {
  it('should map [min, max] onto [0, 1], or fixed clipped bounds onto the output range', () => {
    expect(values(makeTransform(NormalizeWithMinMax, {}).apply(sampleOf([2, 2], [2, 4, 6, 10])).image)).toEqual(close([0, 0.25, 0.5, 1]));
    const fixed = makeTransform(NormalizeWithMinMax, { lower: 4, upper: 6, outputRange: [-1, 1] }).apply(sampleOf([2, 2], [2, 4, 5, 10]));
    expect(values(fixed.image)).toEqual(close([-1, -1, 0, 1]));
  });
});

describe('NormalizeWithPercentiles', () => {
  it('should clip to the 25th..75th percentiles (numpy: 3.25 and 7.75 of 1..10) and map them onto [0, 1]', () => {
    const out = makeTransform(NormalizeWithPercentiles, { lowerPercentile: 25, upperPercentile: 75 }).apply(sampleOf([2, 5], ramp(10).map((v) => v + 1)));
    expect(values(out.image)).toEqual(close([0, 0, 0, (4 - 3.25) / 4.5, (5 - 3.25) / 4.5, (6 - 3.25) / 4.5, (7 - 3.25) / 4.5, 1, 1, 1]));
  });
});

describe('IntensityClip', () => {
  it('should clip to fixed values, or to percentiles where no value is given', () => {
    expect(values(makeTransform(IntensityClip, { lower: 2, upper: 5 }).apply(sampleOf([2, 3], ramp(6))).image)).toEqual([2, 2, 2, 3, 4, 5]);
    expect(values(makeTransform(IntensityClip, { upperPercentile: 50 }).apply(sampleOf([1, 5], [1, 2, 3, 4, 5])).image)).toEqual([1, 2, 3, 3, 3]);
  });
});

describe('HistEqual', () => {
  it('should replace each value by the cumulative fraction of its bin', () => {
    // 4 bins over [0, 8]: values 0, 0, 1, 8 → bins 0, 0, 0, 3 → cdf 3/4, 3/4, 3/4, 1
    expect(values(makeTransform(HistEqual, { bins: 4 }).apply(sampleOf([2, 2], [0, 0, 1, 8])).image)).toEqual([0.75, 0.75, 0.75, 1]);
  });
});

describe('GammaCorrection', () => {
  it('should raise the normalised values to γ within the original range', () => {
    const out = makeTransform(GammaCorrection, { gammaRange: [2, 2], probability: 1 }).apply(sampleOf([1, 3], [10, 15, 20]), r0);
    expect(values(out.image)).toEqual(close([10, 12.5, 20]));
  });
});

describe('GaussianNoise', () => {
  it('should add noise with the requested mean and std (over many values)', () => {
    const out = makeTransform(GaussianNoise, { mean: 1, std: 0.5, probability: 1 }).apply(sampleOf([100, 100], new Array(10000).fill(2)), new SeededRandom(5));
    const noise = values(out.image).map((v) => v - 2);
    const mean = noise.reduce((a, b) => a + b) / noise.length;
    const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    expect(mean).toBeCloseTo(1, 1);
    expect(std).toBeCloseTo(0.5, 1);
  });
  it('should leave the sample unchanged with probability 0', () => {
    const s = sampleOf([2, 2], ramp(4));
    expect(makeTransform(GaussianNoise, { probability: 0 }).apply(s, r0)).toBe(s);
  });
});

describe('GaussianBlur', () => {
  it('should keep a constant image and the total mass of an impulse away from the edges', () => {
    const impulse = new Array(121).fill(0);
    impulse[60] = 1;
    const out = makeTransform(GaussianBlur, { sigmaRange: [1, 1], probability: 1 }).apply(sampleOf([11, 11], impulse), r0);
    expect(values(out.image).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(out.image.data[60]).toBeLessThan(0.2);
  });
});

describe('BrightnessAdditive / BrightnessMultiplicative / ContrastAdjust', () => {
  it('should add, multiply and stretch about the mean by the drawn amount', () => {
    expect(values(makeTransform(BrightnessAdditive, { deltaRange: [0.5, 0.5], probability: 1 }).apply(sampleOf([1, 2], [1, 2]), r0).image)).toEqual([1.5, 2.5]);
    expect(values(makeTransform(BrightnessMultiplicative, { factorRange: [2, 2], probability: 1 }).apply(sampleOf([1, 2], [1, 2]), r0).image)).toEqual([2, 4]);
    // mean 2: (1, 2, 3) → (0.5, 2, 3.5) with factor 1.5, clipped to [1, 3] with preserveRange
    const contrast = (preserveRange: boolean) =>
      values(makeTransform(ContrastAdjust, { factorRange: [1.5, 1.5], probability: 1, preserveRange }).apply(sampleOf([1, 3], [1, 2, 3]), r0).image);
    expect(contrast(false)).toEqual([0.5, 2, 3.5]);
    expect(contrast(true)).toEqual([1, 2, 3]);
  });
});
