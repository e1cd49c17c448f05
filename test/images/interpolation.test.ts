import { describe, expect, it } from 'vitest';
import { centredAffine, invertAffine, resampleAffine, resampleAtPositions, resizeAffine } from '../../src/images/interpolation.js';
import { planeRotation } from '../../src/images/affine-matrices.js';

const values = (g: { data: ArrayLike<number> }) => Array.from(g.data);

describe('resampleAffine with a resize map', () => {
  describe('when doubling a row [0, 10]', () => {
    it('should give the half-pixel-aligned linear values [0, 2.5, 7.5, 10] (torch align_corners=False)', () => {
      const g = { data: Float32Array.of(0, 10), spatial: [1, 2], channels: 1 };
      expect(values(resampleAffine(g, [1, 4], resizeAffine([1, 2], [1, 4]), 'linear'))).toEqual([0, 2.5, 7.5, 10]);
    });
    it('should repeat labels with nearest, and halving should return them exactly', () => {
      const g = { data: Int32Array.of(3, 7), spatial: [1, 2], channels: 1 };
      const up = resampleAffine(g, [1, 4], resizeAffine([1, 2], [1, 4]), 'nearest');
      expect(values(up)).toEqual([3, 3, 7, 7]);
      expect(values(resampleAffine(up, [1, 2], resizeAffine([1, 4], [1, 2]), 'nearest'))).toEqual([3, 7]);
    });
  });
  describe('having a bilinear point between four values', () => {
    it('should weight the corners by the fractional distances', () => {
      const g = { data: Float32Array.of(0, 1, 2, 3), spatial: [2, 2], channels: 1 };
      // input = output·0 + (0.25, 0.5): 0·0.75·0.5 + 1·0.75·0.5 + 2·0.25·0.5 + 3·0.25·0.5 = 1.0
      const out = resampleAffine(g, [1, 1], [0, 0, 0.25, 0, 0, 0.5], 'linear');
      expect(out.data[0]).toBeCloseTo(1.0, 6);
    });
  });
  describe('when a position falls beyond the half-point border', () => {
    it('should read the fill value', () => {
      const g = { data: Float32Array.of(5, 5, 5, 5), spatial: [2, 2], channels: 1 };
      expect(values(resampleAffine(g, [1, 1], [0, 0, 3, 0, 0, 0], 'nearest', -1))).toEqual([-1]);
      expect(values(resampleAffine(g, [1, 1], [0, 0, 1.75, 0, 0, 0], 'linear'))[0]).toBeCloseTo(5 * 0.25, 6);
    });
  });
});

describe('invertAffine', () => {
  it('should give a map whose composition with the original is the identity', () => {
    const m = centredAffine([5, 7], [0.8, -0.3, 0.2, 1.1]);
    const inv = invertAffine(m, 2);
    const point = [1.5, -2];
    const through = [0, 1].map((r) => m[r * 3] * point[0] + m[r * 3 + 1] * point[1] + m[r * 3 + 2]);
    const back = [0, 1].map((r) => inv[r * 3] * through[0] + inv[r * 3 + 1] * through[1] + inv[r * 3 + 2]);
    expect(back[0]).toBeCloseTo(point[0], 10);
    expect(back[1]).toBeCloseTo(point[1], 10);
  });
  it('should refuse a singular map', () => {
    expect(() => invertAffine([1, 0, 0, 0, 0, 0], 2)).toThrow('singular');
  });
});

describe('centredAffine with a quarter-turn rotation', () => {
  it('should rotate a 3×3 grid about its centre like numpy.rot90 (k = -1 for the forward input map)', () => {
    const g = { data: Float32Array.from({ length: 9 }, (_, i) => i), spatial: [3, 3], channels: 1 };
    const out = resampleAffine(g, [3, 3], centredAffine([3, 3], planeRotation(2, 0, 1, Math.PI / 2)), 'nearest');
    // output (r, c) reads input (1 − (c − 1), 1 + (r − 1)) = (2 − c, r): numpy.rot90(g, -1) = [[6,3,0],[7,4,1],[8,5,2]]
    expect(values(out)).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
  });
});

describe('resampleAtPositions in 3D', () => {
  describe('having interior and border positions in a 3×3×3 two-channel grid', () => {
    it('should equal the weighted sum of the eight neighbours (computed independently here)', () => {
      const spatial = [3, 3, 3];
      const data = Float32Array.from({ length: 54 }, (_, i) => Math.sin(i * 1.7) * 10);
      const at = (z: number, y: number, x: number, k: number) => (z < 0 || y < 0 || x < 0 || z > 2 || y > 2 || x > 2 ? 0 : data[((z * 3 + y) * 3 + x) * 2 + k]);
      const reference = (p: number[], k: number) => {
        const [z, y, x] = p;
        const [z0, y0, x0] = [Math.floor(z), Math.floor(y), Math.floor(x)];
        let sum = 0;
        for (const dz of [0, 1]) for (const dy of [0, 1]) for (const dx of [0, 1]) {
          const w = (dz ? z - z0 : 1 - (z - z0)) * (dy ? y - y0 : 1 - (y - y0)) * (dx ? x - x0 : 1 - (x - x0));
          sum += w * at(z0 + dz, y0 + dy, x0 + dx, k);
        }
        return sum;
      };
      const points = [[0.3, 1.6, 0.9], [1.2, 0.1, 1.99], [1.7, 1.5, 2.0], [0.0, 0.0, 0.0], [2.0, 1.25, 0.5]];
      const out = resampleAtPositions({ data, spatial, channels: 2 }, [1, 1, points.length], Float64Array.from(points.flat()), 'linear');
      points.forEach((p, i) => [0, 1].forEach((k) => expect(out.data[i * 2 + k]).toBeCloseTo(reference(p, k), 4)));
    });
  });
});
