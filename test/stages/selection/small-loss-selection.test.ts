import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SmallLossSelection, smallestCountMask, smallestCountMaskComposite } from '../../../src/stages/selection/small-loss-selection.js';
import { BACKENDS as OP_BACKENDS, pseudoRandom, useBackend } from '../../runtime/ops/op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
/** cpu and wasm run the composite; native its one-pass kernel (MicflowSmallestCountMask). */
const BACKENDS = [...OP_BACKENDS, ...(native.available ? [native.backendName] : [])];

beforeAll(async () => {
  await useBackend('cpu');
});
afterAll(async () => {
  await useBackend('cpu');
});


function selection(params: Record<string, unknown>): SmallLossSelection {
  return instantiateStage(SmallLossSelection, { nodeName: 'select', params });
}

/** The stage's mask (flat) and kept fraction for loss maps given as flat arrays of one shape. */
function select(params: Record<string, unknown>, maps: number[][] | Float32Array[], shape: number[], forgetRate?: number, label?: ArrayLike<number>) {
  return tf.tidy(() => {
    // Unwired optional ports are absent, as the compiler passes them.
    const out = selection(params).compute({
      lossMaps: maps.map((m) => tf.tensor(Array.from(m), shape)),
      ...(forgetRate !== undefined && { forgetRate: tf.scalar(forgetRate) }),
      ...(label !== undefined && { label: tf.tensor(Array.from(label), shape, 'int32') }),
    });
    return { mask: Array.from(out.mask.dataSync()), kept: out.kept.dataSync()[0], shape: out.mask.shape };
  });
}

/** Independent reference: flat indices of the k = floor(keep · n) smallest values, ties in index order. */
function smallestIndices(values: ArrayLike<number>, keep: number): Set<number> {
  const order = Array.from(values, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return new Set(order.slice(0, Math.floor(keep * values.length)).map(([, i]) => i));
}

const maskOf = (indices: Set<number>, n: number) => Array.from({ length: n }, (_, i) => (indices.has(i) ? 1 : 0));

describe('SmallLossSelection', () => {
  describe('having one map [2, 2, 3] of distinct losses and forget rate 0.5, batch scope', () => {
    it('should keep the 6 pixels with the smallest loss over the whole batch', () => {
      const losses = [0.9, 0.1, 0.5, 1.2, 0.3, 0.05, 2.0, 0.4, 0.2, 0.7, 1.5, 0.6];
      const { mask, kept, shape } = select({ forgetRate: 0.5 }, [losses], [2, 2, 3]);
      // Sorted: 0.05(5) 0.1(1) 0.2(8) 0.3(4) 0.4(7) 0.5(2) | 0.6 0.7 0.9 1.2 1.5 2.0
      expect(mask).toEqual([0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0]);
      expect(kept).toBeCloseTo(0.5, 6);
      expect(shape).toEqual([2, 2, 3]);
    });
  });

  describe('having the same map with image scope', () => {
    it('should keep the 3 smallest of each image', () => {
      const losses = [0.9, 0.1, 0.5, 1.2, 0.3, 0.05, 2.0, 0.4, 0.2, 0.7, 1.5, 0.6];
      const { mask } = select({ forgetRate: 0.5, scope: 'image' }, [losses], [2, 2, 3]);
      // Image 0: 0.05(5) 0.1(1) 0.3(4); image 1: 0.2(8) 0.4(7) 0.6(11).
      expect(mask).toEqual([0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1]);
    });
  });

  for (const backend of BACKENDS) {
    describe(`having tied losses on the ${backend} backend`, () => {
      it('should take equal values in pixel order, lower flat index first', async () => {
        await useBackend(backend);
        try {
          // 8 pixels: 0 at index 5, then five 2s (indices 1, 2, 4, 6, 7), then 3s. Keep 4: index 5 and the first three 2s.
          expect(select({ forgetRate: 0.5 }, [[3, 2, 2, 3, 2, 0, 2, 2]], [1, 8]).mask).toEqual([0, 1, 1, 0, 1, 1, 0, 0]);
          // All equal: the first k.
          expect(select({ forgetRate: 0.25 }, [[1, 1, 1, 1, 1, 1, 1, 1]], [1, 8]).mask).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
        } finally {
          await useBackend('cpu');
        }
      });

      it('should keep exactly floor((1 - forget rate) · pixels) pixels, the smallest, on random maps', async () => {
        await useBackend(backend);
        try {
          for (const [shape, seed] of [[[2, 32, 32], 1], [[1, 64, 64], 2], [[3, 5, 7], 3]] as const) {
            const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
            // Quantised values so that ties occur.
            const losses = pseudoRandom(n, seed, 0, 50).map(Math.floor);
            for (const forget of [0, 0.1, 0.2, 0.25, 0.5, 0.75, 0.9, 1]) {
              const { mask, kept } = select({ forgetRate: forget }, [losses], [...shape]);
              const expected = smallestIndices(losses, 1 - forget);
              expect(mask.reduce((a, b) => a + b, 0), `${shape} forget ${forget}`).toBe(Math.floor((1 - forget) * n));
              expect(mask, `${shape} forget ${forget}`).toEqual(maskOf(expected, n));
              expect(kept).toBeCloseTo(expected.size / n, 6);
            }
          }
        } finally {
          await useBackend('cpu');
        }
      });
    });
  }

  describe.skipIf(!native.available)('having the native kernel and the composite', () => {
    it('when rows hold ties and +Infinity and k runs from 0 to all should give the composite mask on cpu', async () => {
      const rows = 40;
      const pixels = 1500; // 60,000 values: split over threads
      const raw = pseudoRandom(rows * pixels, 9, 0, 30).map(Math.floor);
      raw.fill(Infinity, 3 * pixels, 3 * pixels + 700); // a row with a run of +Infinity (class scope pads with it)
      const ks = Float32Array.from({ length: rows }, (_, r) => [0, 1, pixels, pixels + 5, 799, 800][r % 6] ?? 0).map((k, r) => (r >= 6 ? (r * 37) % (pixels + 1) : k));
      const compute = (fn: typeof smallestCountMask) => tf.tidy(() => Array.from(fn(tf.tensor2d(raw, [rows, pixels]), tf.tensor2d(ks, [rows, 1])).dataSync()));
      await useBackend('cpu');
      const reference = compute(smallestCountMaskComposite);
      await useBackend(native.available ? native.backendName : 'cpu');
      try {
        const before = tf.memory().numTensors;
        const got = compute(smallestCountMask);
        expect(tf.memory().numTensors).toBe(before);
        expect(got).toEqual(reference);
        // k = 0 keeps nothing, k >= pixels keeps the whole row.
        expect(got.slice(0, pixels).every((v) => v === 0)).toBe(true);
        expect(got.slice(2 * pixels, 3 * pixels).every((v) => v === 1)).toBe(true);
      } finally {
        await useBackend('cpu');
      }
    });
  });

  describe('having two maps and the intersection rule (the tri-network)', () => {
    it("should keep the pixels that both maps' selections keep", () => {
      const a = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
      const b = [0.8, 0.1, 0.2, 0.7, 0.3, 0.4, 0.6, 0.5];
      // Keep 6 of 8 from each: a drops indices 6, 7; b drops 0, 3.
      const { mask, kept } = select({ forgetRate: 0.25 }, [a, b], [1, 8]);
      expect(mask).toEqual([0, 1, 1, 0, 1, 1, 0, 0]);
      expect(kept).toBeCloseTo(0.5, 6);
    });
  });

  describe('having two maps and the mean rule', () => {
    it('should select on the mean loss', () => {
      const a = [0.1, 0.9, 0.5, 0.3];
      const b = [0.9, 0.0, 0.4, 0.2];
      // Means: 0.5, 0.45, 0.45, 0.25 → keep 2: index 3, then the first of the tied 0.45s (index 1).
      expect(select({ forgetRate: 0.5, combine: 'mean' }, [a, b], [1, 4]).mask).toEqual([0, 1, 0, 1]);
    });
  });

  describe('having class scope', () => {
    it('should keep floor(keep · count) of each class, its smallest, when a class has only large losses', () => {
      // Class 1 (indices 6, 7) has the two largest losses; batch scope at forget 0.5 keeps none of it, class scope one.
      const losses = [0, 1, 2, 3, 4, 5, 9, 8];
      const label = [0, 0, 0, 0, 0, 0, 1, 1];
      expect(select({ forgetRate: 0.5 }, [losses], [1, 8]).mask).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
      expect(select({ forgetRate: 0.5, scope: 'class', classes: 2 }, [losses], [1, 8], undefined, label).mask).toEqual([1, 1, 1, 0, 0, 0, 0, 1]);
    });

    for (const backend of BACKENDS) {
      it(`on the ${backend} backend, should match a per-class reference on random maps with ties, absent classes and other labels`, async () => {
        await useBackend(backend);
        try {
          const shape = [2, 16, 16];
          const n = 512;
          const losses = pseudoRandom(n, 5, 0, 20).map(Math.floor);
          // Classes 0..3 with class 2 absent; label 7 lies outside 0..4 and is never kept.
          const label = Array.from(pseudoRandom(n, 6, 0, 1), (u) => (u < 0.6 ? 0 : u < 0.8 ? 1 : u < 0.98 ? 3 : 7));
          for (const forget of [0, 0.2, 0.5, 1]) {
            const { mask } = select({ forgetRate: forget, scope: 'class', classes: 5 }, [losses], shape, undefined, label);
            const expected = new Set<number>();
            for (let c = 0; c < 5; c++) {
              const members = label.flatMap((l, i) => (l === c ? [i] : []));
              for (const j of smallestIndices(members.map((i) => losses[i]), Math.fround(1 - forget))) expected.add(members[j]);
            }
            expect(mask, `forget ${forget}`).toEqual(maskOf(expected, n));
          }
        } finally {
          await useBackend('cpu');
        }
      });
    }

    it('should need the label input and the class count, and refuse a label without class scope', () => {
      const parse = (p: Record<string, unknown>) => SmallLossSelection.paramsSchema.parse(p);
      expect(SmallLossSelection.paramsSchema.safeParse({ scope: 'class' }).success).toBe(false);
      expect(SmallLossSelection.checkWiring(parse({ forgetRate: 0.2, scope: 'class', classes: 3 }), { lossMaps: 1 })).toMatch(/wire input "label"/);
      expect(SmallLossSelection.checkWiring(parse({ forgetRate: 0.2 }), { lossMaps: 1, label: 1 })).toMatch(/only with scope "class"/);
      expect(SmallLossSelection.checkWiring(parse({ forgetRate: 0.2, scope: 'class', classes: 3 }), { lossMaps: 1, label: 1 })).toBeUndefined();
    });

    it('should name the node and the missing label when computed outside a pipeline without one', () => {
      expect(() => select({ forgetRate: 0.5, scope: 'class', classes: 2 }, [[1, 2, 3, 4]], [1, 4])).toThrow(
        'node "select": scope "class" needs the "label" input and params.classes',
      );
    });
  });

  describe('when the forget rate comes from a wired scalar', () => {
    it('should use it instead of params', () => {
      const losses = [5, 4, 3, 2, 1, 0, 6, 7, 8, 9];
      expect(select({}, [losses], [1, 10], 0.7).mask).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    });
  });

  describe('when wired', () => {
    it('should ask for exactly one source of the forget rate', () => {
      const parse = (p: Record<string, unknown>) => SmallLossSelection.paramsSchema.parse(p);
      expect(SmallLossSelection.checkWiring(parse({}), { lossMaps: 1 })).toMatch(/no forget rate/);
      expect(SmallLossSelection.checkWiring(parse({ forgetRate: 0.2 }), { lossMaps: 1, forgetRate: 1 })).toMatch(/both wired and set/);
      expect(SmallLossSelection.checkWiring(parse({ forgetRate: 0.2 }), { lossMaps: 1 })).toBeUndefined();
      expect(SmallLossSelection.checkWiring(parse({}), { lossMaps: 1, forgetRate: 1 })).toBeUndefined();
    });
  });

  describe('when the maps differ in shape', () => {
    it('should throw naming the node and the shapes', () => {
      expect(() =>
        tf.tidy(() => selection({ forgetRate: 0.1 }).compute({ lossMaps: [tf.zeros([1, 4]), tf.zeros([1, 5])] })),
      ).toThrow('node "select": loss maps differ in shape: [1,4], [1,5]');
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient through the mask to the loss maps, without failing on the sort', () => {
      const stage = selection({ forgetRate: 0.5 });
      const g = tf.tidy(() =>
        Array.from(tf.grad((map: tf.Tensor) => tf.sum(tf.mul(stage.compute({ lossMaps: [map] }).mask, map)))(tf.tensor2d([[0.3, 0.1, 0.2, 0.4]])).dataSync()),
      );
      expect(g).toEqual([0, 1, 1, 0]); // only through the explicit product with the map, not through the mask
    });
  });

  describe('when computed inside a tidy scope', () => {
    it('should leave no tensor behind', () => {
      const before = tf.memory().numTensors;
      select({ forgetRate: 0.3 }, [[1, 2, 3, 4], [4, 3, 2, 1]], [1, 4]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
