import { describe, expect, it } from 'vitest';
import { gaussianFilter, gaussianKernel } from '../../src/images/gaussian-filter.js';

describe('gaussianKernel', () => {
  it('should hold normalised exp(−x²/2σ²) weights over ±ceil(3σ)', () => {
    const k = gaussianKernel(1);
    expect(k.length).toBe(7);
    const raw = [-3, -2, -1, 0, 1, 2, 3].map((x) => Math.exp(-x * x / 2));
    const sum = raw.reduce((a, b) => a + b);
    raw.forEach((r, i) => expect(k[i]).toBeCloseTo(r / sum, 12));
  });
});

describe('gaussianFilter', () => {
  describe('having an impulse in the middle of a 9×9 grid', () => {
    it('should spread it as the outer product of the 1D kernel', () => {
      const data = new Float32Array(81);
      data[40] = 1;
      const out = gaussianFilter({ data, spatial: [9, 9], channels: 1 }, [1, 1]).data;
      const k = gaussianKernel(1);
      expect(out[40]).toBeCloseTo(k[3] * k[3], 6);
      expect(out[41]).toBeCloseTo(k[3] * k[4], 6);
      expect(out[40 - 9 * 2 + 1]).toBeCloseTo(k[1] * k[4], 6);
      expect(out.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    });
  });
  describe('having a constant two-channel 3D grid', () => {
    it('should leave it constant (edges extended)', () => {
      const data = new Float32Array(4 * 5 * 6 * 2).map((_, i) => (i % 2 ? 3 : -2));
      const out = gaussianFilter({ data, spatial: [4, 5, 6], channels: 2 }, [1.5, 1.5, 1.5]).data;
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(i % 2 ? 3 : -2, 5);
    });
  });
});
