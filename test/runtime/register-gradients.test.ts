import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import '../../src/runtime/register-gradients.js';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
/** cpu and native take the transpose-flag gradient, wasm the explicit-transpose one. */
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [native.backendName] : [])];

/** Gradients of sum(w ⊙ matMul(a, b)) by hand: dA = W Bᵀ, dB = Aᵀ W, on plain arrays. */
function referenceMatMulGradients(a: number[][], b: number[][], w: number[][]) {
  const n = a.length;
  const k = b.length;
  const m = b[0].length;
  const dA = Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, p) => w[i].reduce((s, wij, j) => s + wij * b[p][j], 0)));
  const dB = Array.from({ length: k }, (_, p) => Array.from({ length: m }, (_, j) => a.reduce((s, ai, i) => s + ai[p] * w[i][j], 0)));
  return { dA, dB };
}

/** Row-major strides of `shape`. */
const stridesOf = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));

/**
 * d/dx of sum(w ⊙ tile(x, reps)) on plain arrays: output position o reads x at (o_a mod x.shape[a]) on every axis a,
 * so w[o] is added there.
 */
function referenceTileGradient(xShape: number[], reps: number[], w: Float32Array): Float64Array {
  const yShape = xShape.map((d, a) => d * reps[a]);
  const yStrides = stridesOf(yShape);
  const xStrides = stridesOf(xShape);
  const dx = new Float64Array(xShape.reduce((p, d) => p * d, 1));
  for (let o = 0; o < w.length; o++) {
    let at = 0;
    for (let a = 0; a < yShape.length; a++) at += (Math.floor(o / yStrides[a]) % yShape[a] % xShape[a]) * xStrides[a];
    dx[at] += w[o];
  }
  return dx;
}

const TILE_CASES: Array<{ xShape: number[]; reps: number[] }> = [
  { xShape: [3, 2], reps: [2, 3] },
  { xShape: [2, 3, 1, 2, 2], reps: [1, 2, 3, 1, 2] },
  { xShape: [1, 2, 3, 2, 1, 2], reps: [2, 1, 2, 3, 2, 1] },
  { xShape: [2, 1, 2, 1, 2, 1], reps: [1, 3, 1, 1, 1, 2] },
];

describe('registered gradients', () => {
  describe('having imported the module', () => {
    it("should provide tfjs's gradients for common kernels", () => {
      for (const kernel of ['Mean', 'RealDiv', 'Softmax', 'LeakyRelu', 'Tile', 'PadV2', 'GatherV2', 'Transpose']) {
        expect(tf.getGradient(kernel), kernel).toBeDefined();
      }
    });
  });

  for (const backend of BACKENDS) {
    describe(`when differentiating tile on ${backend}`, () => {
      for (const { xShape, reps } of TILE_CASES) {
        it(`should sum the copies of a rank-${xShape.length} input [${xShape}] tiled [${reps}] as the hand reference and finite differences do`, async () => {
          await tf.setBackend(backend);
          const random = new SeededRandom(xShape.length);
          const xValues = random.normalArray(xShape.reduce((p, d) => p * d, 1));
          const w = random.normalArray(xShape.reduce((p, d, a) => p * d * reps[a], 1));
          const yShape = xShape.map((d, a) => d * reps[a]);
          const before = tf.memory().numTensors;
          const loss = (x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, reps), tf.tensor(w, yShape)));
          const dx = tf.tidy(() => tf.grad(loss)(tf.tensor(xValues, xShape)));
          expect(dx.shape).toEqual(xShape);
          const got = dx.dataSync();
          const expected = referenceTileGradient(xShape, reps, w);
          got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
          // The loss is linear in x: a central difference of step 1 is exact up to float32 rounding.
          for (const at of [0, Math.floor(xValues.length / 2), xValues.length - 1]) {
            const shifted = (delta: number) => {
              const v = Float32Array.from(xValues);
              v[at] += delta;
              return tf.tidy(() => loss(tf.tensor(v, xShape)).dataSync()[0]);
            };
            expect((shifted(1) - shifted(-1)) / 2).toBeCloseTo(got[at], 3);
          }
          dx.dispose();
          expect(tf.memory().numTensors).toBe(before);
        });
      }
    });

    describe(`when differentiating leakyRelu on ${backend}`, () => {
      for (const [shape, alpha] of [[[7], 0.2], [[2, 3, 4, 3, 2], 0.01], [[1, 2, 3, 2, 2, 3], 0.3]] as Array<[number[], number]>) {
        it(`should give dy where x > 0 and alpha·dy elsewhere for a rank-${shape.length} input, alpha ${alpha}`, async () => {
          await tf.setBackend(backend);
          const random = new SeededRandom(shape.length);
          const count = shape.reduce((p, d) => p * d, 1);
          const xValues = random.normalArray(count);
          xValues[0] = 0; // the kink: tfjs's gradient takes the alpha side there
          const w = random.normalArray(count);
          const before = tf.memory().numTensors;
          const dx = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(x, alpha), tf.tensor(w, shape))))(tf.tensor(xValues, shape)));
          expect(dx.shape).toEqual(shape);
          expect(Array.from(dx.dataSync())).toEqual(Array.from(w, (wi, i) => (xValues[i] > 0 ? Math.fround(wi) : Math.fround(Math.fround(wi) * Math.fround(alpha)))));
          dx.dispose();
          expect(tf.memory().numTensors).toBe(before);
        });
      }
    });

    describe(`when differentiating matMul with every transpose flag on ${backend}`, () => {
      it('should match the hand-computed gradients', async () => {
        await tf.setBackend(backend);
        const random = new SeededRandom(5);
        const rows = (r: number, c: number) => Array.from({ length: r }, () => Array.from(random.normalArray(c)));
        const a = rows(3, 4);
        const b = rows(4, 5);
        const w = rows(3, 5);
        const expected = referenceMatMulGradients(a, b, w);
        const transpose = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const aIn = tf.tensor2d(ta ? transpose(a) : a);
          const bIn = tf.tensor2d(tb ? transpose(b) : b);
          const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), tf.tensor2d(w))))([aIn, bIn]);
          const got = { dA: dA.arraySync() as number[][], dB: dB.arraySync() as number[][] };
          const wantA = ta ? transpose(expected.dA) : expected.dA;
          const wantB = tb ? transpose(expected.dB) : expected.dB;
          got.dA.flat().forEach((v, i) => expect(v).toBeCloseTo(wantA.flat()[i], 4));
          got.dB.flat().forEach((v, i) => expect(v).toBeCloseTo(wantB.flat()[i], 4));
          tf.dispose([aIn, bIn, dA, dB]);
        }
      });

      it('should reduce over broadcast batch dimensions', async () => {
        await tf.setBackend(backend);
        const a = tf.ones([1, 2, 3]);
        const b = tf.ones([4, 3, 2]);
        const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
        expect(dA.shape).toEqual([1, 2, 3]);
        // Each entry of a meets 2 columns of each of the 4 batch matrices: 8.
        expect(Array.from(dA.dataSync())).toEqual(new Array(6).fill(8));
        expect(Array.from(dB.dataSync())).toEqual(new Array(24).fill(2));
        tf.dispose([a, b, dA, dB]);
      });

      it('should reduce over broadcast batch dimensions with transpose flags', async () => {
        await tf.setBackend(backend);
        const a = tf.ones([4, 3, 2]); // transposed: [4, 2, 3]
        const b = tf.ones([1, 5, 3]); // transposed: [1, 3, 5]
        const before = tf.memory().numTensors;
        const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, true)))([a, b]);
        expect(dA.shape).toEqual([4, 3, 2]);
        expect(dB.shape).toEqual([1, 5, 3]);
        // Each entry of a meets the 5 columns of b: 5; each entry of b meets 2 rows in each of 4 batches: 8.
        expect(Array.from(dA.dataSync())).toEqual(new Array(24).fill(5));
        expect(Array.from(dB.dataSync())).toEqual(new Array(15).fill(8));
        expect(tf.memory().numTensors).toBe(before + 2);
        tf.dispose([a, b, dA, dB]);
      });
    });
  }
});
