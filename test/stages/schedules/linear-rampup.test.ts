import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { LinearRampup, linearRampup } from '../../../src/stages/schedules/linear-rampup.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const valueAt = (params: Record<string, unknown>, iteration: number) =>
  tf.tidy(() =>
    instantiateStage(LinearRampup, { nodeName: 'forgetRate', params })
      .compute({}, { iteration, iterations: 600, random: new SeededRandom(1) })
      .value.dataSync()[0],
  );

describe('LinearRampup', () => {
  describe('having start 60, end 480 and max 0.2 (the co-teaching forget rate)', () => {
    it('should be 0 up to iteration 60, rise by 0.2/420 per iteration, and stay at 0.2 from 480', () => {
      const params = { start: 60, end: 480, max: 0.2 };
      expect(valueAt(params, 1)).toBe(0);
      expect(valueAt(params, 60)).toBe(0);
      expect(valueAt(params, 61)).toBeCloseTo(0.2 / 420, 7);
      expect(valueAt(params, 270)).toBeCloseTo(0.1, 7);
      expect(valueAt(params, 480)).toBeCloseTo(0.2, 7);
      expect(valueAt(params, 600)).toBeCloseTo(0.2, 7);
    });
  });

  describe('as a function', () => {
    it("should equal PyMIC's linear get_rampup_ratio times max, clipped to [0, max]", () => {
      for (const [i, expected] of [[0, 0], [10, 0], [15, 0.25], [20, 0.5], [30, 1], [99, 1]] as const) {
        expect(linearRampup(i, 10, 30, 1)).toBeCloseTo(expected, 12);
      }
      expect(linearRampup(25, 10, 30, 0.1)).toBeCloseTo(0.075, 12);
    });
  });

  describe('when end does not come after start', () => {
    it('should reject the params', () => {
      expect(() => LinearRampup.paramsSchema.parse({ start: 5, end: 5 })).toThrow(/end must come after start/);
    });
  });
});
