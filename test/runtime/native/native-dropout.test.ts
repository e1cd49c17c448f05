import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { loadNativeAddon } from '../../../src/runtime/native/native-addon.js';
import { dropout, dropoutMask } from '../../../src/runtime/ops/dropout.js';
import { SeededRandom, useNativeKeepMask } from '../../../src/runtime/seeded-random.js';

const native = await nativeBackendCandidate.load(tf);
const addon = loadNativeAddon();
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}

/** Values with negative ones, zeros and a few large magnitudes, so that x · 0 = −0 and rounding both show. */
function values(n: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : (random.uniform() - 0.5) * (i % 13 === 0 ? 1e6 : 3)));
}

/** Whether two float arrays hold the same bits (−0 and 0 differ); else the first index where they differ. */
function firstDifference(a: Float32Array, b: Float32Array): number | 'same' {
  if (a.length !== b.length) return -1;
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return 'same';
}

/** The JavaScript statement of dropout, one draw per element: x · mask and the mask, with the JavaScript generator. */
function reference(x: Float32Array, p: number, seed: number): { y: Float32Array; mask: Float32Array; next: number[] } {
  useNativeKeepMask(undefined);
  const random = new SeededRandom(seed);
  random.uniform();
  const mask = dropoutMask(x.length, p, random);
  const y = Float32Array.from(x, (v, i) => Math.fround(v * mask[i]));
  return { y, mask, next: [random.nextUint32(), random.nextUint32()] };
}

describe.skipIf(!native.available)('native dropout (MicflowDropout, MicflowMaskedScale)', () => {
  let threads = 0;
  beforeAll(async () => {
    await tf.setBackend('native');
    if (addon.loaded) threads = addon.addon.threads();
  });
  afterAll(() => {
    if (addon.loaded) addon.addon.setThreads(threads);
  });

  // Sizes below and above the threaded size (2^16 draws), odd ones so the threads' shares are uneven.
  for (const [size, p] of [[1, 0.5], [1000, 0.05], [65_535, 0.3], [65_537, 0.3], [300_007, 0.1]] as const) {
    for (const threadCount of [1, 2, 3]) {
      it(`having ${size} values, p ${p} and ${threadCount} threads, when applied and differentiated, should give the JavaScript mask's product and gradient bit for bit, and leave the generator where the JavaScript draws do`, () => {
        if (!addon.loaded) throw new Error(addon.reason);
        addon.addon.setThreads(threadCount);
        const x = values(size, 17);
        const dy = values(size, 23);
        const expected = reference(x, p, 5);
        const random = new SeededRandom(5);
        random.uniform();
        const [y, dx] = tf.tidy(() => {
          const input = tf.tensor(x);
          const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => dropout(t, p, random))(input, tf.tensor(dy));
          return [value.dataSync() as Float32Array, grad.dataSync() as Float32Array];
        });
        expect(firstDifference(y, expected.y)).toBe('same');
        expect(firstDifference(dx, Float32Array.from(dy, (g, i) => g * expected.mask[i]))).toBe('same');
        expect([random.nextUint32(), random.nextUint32()]).toEqual(expected.next);
      });
    }
  }

  it('having a training step repeated, when dropout is differentiated each time, should leave no tensor behind', () => {
    const random = new SeededRandom(3);
    const x = tf.tensor(values(200_000, 2), [4, 50, 50, 20]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        tf.grad((t: tf.Tensor) => tf.sum(tf.square(dropout(t, 0.2, random))))(x);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('having a state of three words, when the kernel is called, should refuse in one line', () => {
    if (!addon.loaded) throw new Error(addon.reason);
    expect(() => addon.addon.dropoutForward(new Uint32Array(3), new Float32Array(2), 1, 1, new Float32Array(2), new Uint8Array(2))).toThrow(/4 words/);
  });
});
