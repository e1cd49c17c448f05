import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MultiNetwork } from '../../src/networks/multi-network.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { expectClose, pseudoRandom, useBackend } from '../runtime/ops/op-test-helpers.js';

let members: UNet2D[] = [];
const member = (name: string, seed: number, dropout = [0, 0, 0, 0, 0]) => {
  const net = new UNet2D({ ...unet2dParams.parse({ classes: 2, features: [2, 2, 4, 4, 4], dropout }), name, random: new SeededRandom(seed) });
  members.push(net);
  return net;
};
afterEach(() => {
  members.forEach((m) => m.dispose());
  members = [];
});

describe('MultiNetwork', () => {
  beforeAll(() => useBackend('cpu'));

  describe('having two tiny UNet2Ds', () => {
    it("should expose both networks' variables and the sum of their parameter counts", () => {
      const [a, b] = [member('ma', 1), member('mb', 2)];
      const multi = new MultiNetwork('multi', [a, b]);
      expect(multi.trainableVariables).toEqual([...a.trainableVariables, ...b.trainableVariables]);
      expect(multi.stateVariables).toHaveLength(a.stateVariables.length + b.stateVariables.length);
      expect(multi.parameterCount()).toBe(a.parameterCount() + b.parameterCount());
    });

    it("when inferring from the first, should give the first network's logits; when averaging, the mean of both", () => {
      const [a, b] = [member('fa', 1), member('fb', 2)];
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(32 * 32, 3), [1, 32, 32, 1]);
        const ya = a.apply(x, { training: false });
        const yb = b.apply(x, { training: false });
        expect(Array.from(new MultiNetwork('first', [a, b]).apply(x, { training: false }).dataSync())).toEqual(Array.from(ya.dataSync()));
        expectClose(new MultiNetwork('avg', [a, b], 'average').apply(x, { training: false }).dataSync(), tf.div(tf.add(ya, yb), 2).dataSync(), 1e-6);
      });
    });

    it('when training all with dropout, should give each member its own random stream', () => {
      const [a, b] = [member('da', 1, [0.5, 0.5, 0.5, 0.5, 0.5]), member('db', 1, [0.5, 0.5, 0.5, 0.5, 0.5])];
      tf.tidy(() => {
        // Same weights (same seed); different dropout masks must make the outputs differ.
        const [ya, yb] = new MultiNetwork('drop', [a, b]).applyAll(tf.tensor4d(pseudoRandom(32 * 32, 4), [1, 32, 32, 1]), { training: true, random: new SeededRandom(9) });
        expect(Math.max(...Array.from(tf.abs(tf.sub(ya, yb)).dataSync()))).toBeGreaterThan(1e-3);
      });
    });

    it('when disposed, should leave its members usable', () => {
      const a = member('ka', 1);
      new MultiNetwork('keep', [a]).dispose();
      expect(tf.tidy(() => a.apply(tf.zeros([1, 16, 16, 1]) as tf.Tensor4D, { training: false }).shape)).toEqual([1, 16, 16, 2]);
    });

    it('having the same network twice or none, should throw', () => {
      const a = member('ta', 1);
      expect(() => new MultiNetwork('twice', [a, a])).toThrow(/twice/);
      expect(() => new MultiNetwork('none', [])).toThrow(/at least one/);
    });
  });
});
