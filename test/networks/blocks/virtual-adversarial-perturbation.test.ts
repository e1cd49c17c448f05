import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConvolution } from '../../../src/networks/blocks/convolution.js';
import {
  batchMeanKlDivergence,
  normalisePerImage,
  PYMIC_VAT_DEFAULTS,
  virtualAdversarialPerturbation,
} from '../../../src/networks/blocks/virtual-adversarial-perturbation.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { pseudoRandom, useBackend } from '../../runtime/ops/op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [native.backendName] : [])];

const FEATURE_SHAPE: [number, number, number, number] = [2, 4, 4, 6];

/** A tiny two-layer net on a [2, 4, 4, 6] feature: conv3x3 (6 -> 8) -> LeakyReLU -> conv1x1 (8 -> 3 classes). */
function tinyNet(name: string) {
  const p = new NetworkParameters(name, new SeededRandom(3));
  const c1 = p.conv('c1', [3, 3, 6, 8], 54);
  const c2 = p.conv('c2', [1, 1, 8, 3], 8);
  const predict = (f: tf.Tensor4D) => applyConvolution(c2, tf.leakyRelu(applyConvolution(c1, f), 0.01) as tf.Tensor4D);
  return { p, predict };
}

/** Per-image L2 norms of a [N, ...] array. */
function normsPerImage(values: Float32Array, n: number): number[] {
  const per = values.length / n;
  return Array.from({ length: n }, (_, i) => Math.sqrt(values.slice(i * per, (i + 1) * per).reduce((s, v) => s + v * v, 0)));
}

describe('the virtual adversarial perturbation', () => {
  describe('having a linear softmax model on single-pixel features, where the KL divergence has an explicit Hessian', () => {
    beforeAll(() => useBackend('cpu'));

    it('when iterated 40 times, should point along the top eigenvector of each image\'s Hessian W (diag p - p p^T) W^T', () => {
      const [n, c, k] = [2, 4, 3];
      const w = pseudoRandom(c * k, 31, -1.5, 1.5); // [C, K], row-major
      const x = pseudoRandom(n * c, 32, -1, 1);
      const r = tf.tidy(() => {
        const kernel = tf.tensor2d(w, [c, k]);
        const predict = (f: tf.Tensor4D) => tf.reshape(tf.matMul(tf.reshape(f, [n, c]), kernel), [n, 1, 1, k]) as tf.Tensor4D;
        return virtualAdversarialPerturbation(tf.tensor4d(x, [n, 1, 1, c]), predict, new SeededRandom(2), { xi: 1e-3, eps: 1, iterations: 40 }).dataSync();
      });
      for (let image = 0; image < n; image++) {
        // Independently, in float64: p = softmax(x W), H = W (diag p - p p^T) W^T, its top eigenvector by power iteration.
        const logits = Array.from({ length: k }, (_, j) => Array.from({ length: c }, (_, i) => x[image * c + i] * w[i * k + j]).reduce((a, b) => a + b));
        const top = Math.max(...logits);
        const e = logits.map((z) => Math.exp(z - top));
        const p = e.map((v) => v / e.reduce((a, b) => a + b));
        const hessian = Array.from({ length: c }, (_, a) =>
          Array.from({ length: c }, (_, b) => {
            let s = 0;
            for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s += w[a * k + i] * ((i === j ? p[i] : 0) - p[i] * p[j]) * w[b * k + j];
            return s;
          }),
        );
        const multiply = (v: number[]) => hessian.map((row) => row.reduce((s, h, j) => s + h * v[j], 0));
        let v = [1, 0.5, -0.3, 0.2];
        for (let it = 0; it < 500; it++) {
          const hv = multiply(v);
          const norm = Math.hypot(...hv);
          v = hv.map((t) => t / norm);
        }
        const topEigenvalue = multiply(v).reduce((s, t, i) => s + t * v[i], 0);
        // The second eigenvalue (deflated power iteration) is well below the first, so 40 iterations converge.
        let u = [0.3, -1, 0.4, 0.1];
        for (let it = 0; it < 500; it++) {
          const hu = multiply(u).map((t, i) => t - topEigenvalue * v[i] * v.reduce((s, vj, j) => s + vj * u[j], 0));
          const norm = Math.hypot(...hu);
          u = hu.map((t) => t / norm);
        }
        const secondEigenvalue = multiply(u).reduce((s, t, i) => s + t * u[i], 0);
        expect(Math.abs(secondEigenvalue / topEigenvalue)).toBeLessThan(0.7);
        const direction = Array.from(r.slice(image * c, (image + 1) * c));
        const cosine = direction.reduce((s, t, i) => s + t * v[i], 0) / Math.hypot(...direction);
        expect(Math.abs(cosine)).toBeGreaterThan(0.999);
      }
    });
  });

  describe.each(BACKENDS)('having a tiny conv net on the %s backend', (backend) => {
    let net: ReturnType<typeof tinyNet>;
    beforeAll(async () => {
      await useBackend(backend);
      net = tinyNet(`vat_${backend}`);
    });
    afterAll(() => net.p.dispose());

    it("with PyMIC's xi 1e-6, eps 2 and 2 iterations, should have norm 2 per image although the KL gradient's norm is below the 1e-8 guard", () => {
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 4 * 4 * 6, 1, -2, 2), FEATURE_SHAPE);
        const target = tf.softmax(net.predict(x));
        const d = normalisePerImage(tf.tensor4d(new SeededRandom(7).uniformArray(x.size, -0.5, 0.5), FEATURE_SHAPE));
        const gradient = tf.grad((dd: tf.Tensor) => batchMeanKlDivergence(target, net.predict(tf.add(x, tf.mul(dd, 1e-6)) as tf.Tensor4D)))(d);
        expect(tf.norm(gradient).dataSync()[0]).toBeLessThan(1e-8);
        const r = virtualAdversarialPerturbation(x, net.predict, new SeededRandom(5), PYMIC_VAT_DEFAULTS);
        expect(r.shape).toEqual(FEATURE_SHAPE);
        for (const norm of normsPerImage(r.dataSync() as Float32Array, 2)) expect(norm).toBeCloseTo(2, 4);
      });
    });

    it('should increase the KL divergence of the prediction more than any of 20 random perturbations of the same norm', () => {
      tf.tidy(() => {
        const x = tf.tensor4d(pseudoRandom(2 * 4 * 4 * 6, 1, -2, 2), FEATURE_SHAPE);
        const target = tf.softmax(net.predict(x));
        const divergence = (r: tf.Tensor4D) => batchMeanKlDivergence(target, net.predict(tf.add(x, r) as tf.Tensor4D)).dataSync()[0];
        const random = Array.from({ length: 20 }, (_, k) =>
          divergence(tf.mul(normalisePerImage(tf.tensor4d(new SeededRandom(100 + k).uniformArray(x.size, -0.5, 0.5), FEATURE_SHAPE)), 2) as tf.Tensor4D),
        );
        for (const spec of [PYMIC_VAT_DEFAULTS, { xi: 1e-2, eps: 2, iterations: 1 }]) {
          const adversarial = divergence(virtualAdversarialPerturbation(x, net.predict, new SeededRandom(5), spec));
          expect(adversarial, JSON.stringify(spec)).toBeGreaterThan(2 * Math.max(...random));
        }
      });
    });

    it('when differentiated inside an outer gradient, should act as a constant: the same gradients as with the perturbation precomputed, finite, no tensor left', () => {
      const xValues = pseudoRandom(2 * 4 * 4 * 6, 2, -2, 2);
      const projection = pseudoRandom(2 * 4 * 4 * 3, 3);
      const feature = tf.variable(tf.tensor4d(xValues, FEATURE_SHAPE), true, `vat_feature_${backend}`);
      const variables = [feature, ...net.p.trainableVariables];
      const loss = (perturbation: () => tf.Tensor4D) => () =>
        tf.tidy(() => tf.sum(tf.mul(net.predict(tf.add(feature, perturbation()) as tf.Tensor4D), tf.tensor(projection, [2, 4, 4, 3]))) as tf.Scalar);
      const spec = { xi: 1e-3, eps: 2, iterations: 2 };
      const gradients = (perturbation: () => tf.Tensor4D) => {
        const { value, grads } = tf.variableGrads(loss(perturbation), variables);
        const out = variables.map((v) => grads[v.name].dataSync() as Float32Array);
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
        return out;
      };
      try {
        const before = tf.memory().numTensors;
        const inside = gradients(() => virtualAdversarialPerturbation(feature as tf.Tensor4D, net.predict, new SeededRandom(9), spec));
        const again = gradients(() => virtualAdversarialPerturbation(feature as tf.Tensor4D, net.predict, new SeededRandom(9), spec));
        expect(tf.memory().numTensors).toBe(before);
        const precomputed = tf.tidy(() => virtualAdversarialPerturbation(feature as tf.Tensor4D, net.predict, new SeededRandom(9), spec));
        const outside = gradients(() => precomputed);
        precomputed.dispose();
        inside.forEach((g, i) => {
          expect(g.every(Number.isFinite)).toBe(true);
          expect(Math.max(...Array.from(g, Math.abs))).toBeGreaterThan(0);
          expect(Array.from(again[i])).toEqual(Array.from(g));
          const scale = Math.max(...Array.from(outside[i], Math.abs));
          expect(Math.max(...g.map((v, j) => Math.abs(v - outside[i][j]))) / scale).toBeLessThan(1e-5);
        });
      } finally {
        feature.dispose();
      }
    });
  });
});
