import { describe, expect, it } from 'vitest';
import { channelValues, meanAndStd, minAndMax, percentiles } from '../../src/images/intensity-statistics.js';

describe('percentiles', () => {
  it('should interpolate linearly between order statistics like numpy (percentile([1..5], [0, 25, 50, 90]))', () => {
    expect(percentiles(Float32Array.of(5, 1, 4, 2, 3), [0, 25, 50, 90, 100])).toEqual([1, 2, 3, 4.6000000000000005, 5].map((v) => expect.closeTo(v, 5)));
  });
});

describe('meanAndStd / minAndMax / channelValues', () => {
  it('should read one channel of an interleaved image, with a mask', () => {
    const image = { data: Float32Array.of(1, 10, 2, 20, 3, 30, 4, 40), shape: [2, 2, 2] };
    expect(Array.from(channelValues(image, 1))).toEqual([10, 20, 30, 40]);
    expect(Array.from(channelValues(image, 1, (p) => p >= 2))).toEqual([30, 40]);
    expect(meanAndStd(channelValues(image, 0))).toEqual({ mean: 2.5, std: Math.sqrt(1.25) });
    expect(minAndMax(channelValues(image, 1))).toEqual({ min: 10, max: 40 });
  });
});
