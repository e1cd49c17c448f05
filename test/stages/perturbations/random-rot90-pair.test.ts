import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { TickContext } from '../../../src/graph/stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { RandomRot90Pair, rot90 } from '../../../src/stages/perturbations/random-rot90-pair.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(RandomRot90Pair, { nodeName: 'rot', params });
const tickAt = (iteration: number): TickContext => ({ iteration, iterations: 10, random: new SeededRandom(3).derive('tick', iteration) });
/** The grid [[1, 2, 3], [4, 5, 6]] as [1, 2, 3, 1]. */
const grid = () => tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
const plane = (t: tf.Tensor) => (t.arraySync() as number[][][][])[0].map((row) => row.map((v) => v[0]));

describe('rot90', () => {
  describe('having the grid [[1, 2, 3], [4, 5, 6]]', () => {
    it("should turn it as torch.rot90 over (H, W): one turn counter-clockwise, as numpy's rot90", () => {
      expect(plane(rot90(grid(), 0))).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(plane(rot90(grid(), 1))).toEqual([[3, 6], [2, 5], [1, 4]]);
      expect(plane(rot90(grid(), 2))).toEqual([[6, 5, 4], [3, 2, 1]]);
      expect(plane(rot90(grid(), 3))).toEqual([[4, 1], [5, 2], [6, 3]]);
    });

    it('should come back after four turns and be undone by the opposite turns', () => {
      expect(plane(rot90(rot90(rot90(rot90(grid(), 1), 1), 1), 1))).toEqual(plane(grid()));
      expect(plane(rot90(rot90(grid(), 1), 3))).toEqual(plane(grid()));
    });
  });

  describe('when differentiated', () => {
    it('should pass back the weights turned the opposite way', () => {
      const weights = tf.tensor4d([10, 20, 30, 40, 50, 60], [1, 3, 2, 1]);
      const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(rot90(x, 1), weights)))(grid());
      expect(plane(gradient)).toEqual(plane(rot90(weights, 3)));
    });
  });
});

describe('RandomRot90Pair', () => {
  describe('without fixed turns', () => {
    it('should turn both tensors by the same draw of the tick, reported as turns, all four occurring over ticks', () => {
      const stage = stageWith({});
      const seen = new Set<number>();
      for (let it = 1; it <= 24; it++) {
        const channels = tf.concat([grid(), tf.mul(grid(), 10)], -1);
        const out = stage.compute({ first: grid(), second: channels }, tickAt(it));
        const turns = out.turns.dataSync()[0];
        seen.add(turns);
        expect(turns).toBe(new SeededRandom(3).derive('tick', it).integer(4));
        expect(plane(out.first)).toEqual(plane(rot90(grid(), turns)));
        expect(out.second.arraySync()).toEqual(rot90(channels, turns).arraySync());
      }
      expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    });
  });

  describe('when the two tensors differ in spatial size', () => {
    it('should throw a MicflowError naming the node', () => {
      expect(() => stageWith({ turns: 1 }).compute({ first: grid(), second: tf.zeros([1, 3, 2, 1]) }, tickAt(1))).toThrow(/node "rot": first \[1,2,3,1\] and second \[1,3,2,1\]/);
    });
  });
});
