import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyScSE, createScSE, createScSEConvBlock, type ScSEParameters } from '../../../src/networks/blocks/scse.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { BACKENDS, expectClose, pseudoRandom, size, useBackend } from '../../runtime/ops/op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

/** The block's weights as float64 arrays, for the plain-loop reference. */
interface ReferenceWeights {
  fc1: Float64Array; // [C, R]
  b1: Float64Array; // [R]
  fc2: Float64Array; // [R, C]
  b2: Float64Array; // [C]
  sse: Float64Array; // [C]
  bs: Float64Array; // [1]
}

const weightsOf = (se: ScSEParameters): ReferenceWeights => ({
  fc1: Float64Array.from(se.fc1.kernel.dataSync()),
  b1: Float64Array.from(se.fc1.bias.dataSync()),
  fc2: Float64Array.from(se.fc2.kernel.dataSync()),
  b2: Float64Array.from(se.fc2.bias.dataSync()),
  sse: Float64Array.from(se.spatial.kernel.dataSync()),
  bs: Float64Array.from(se.spatial.bias.dataSync()),
});

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

/**
 * Plain-loop float64 scSE on channels-last x [N, ...spatial, C] (Roy et al., MICCAI 2018): channel gate
 * sigmoid(W2 relu(W1 mean + b1) + b2), spatial gate sigmoid(w . x_v + b), output max(x g_c, x a_v).
 */
function referenceScSE(x: Float64Array, n: number, voxels: number, c: number, w: ReferenceWeights): Float64Array {
  const r = w.b1.length;
  const out = new Float64Array(x.length);
  for (let ni = 0; ni < n; ni++) {
    const base = ni * voxels * c;
    const mean = new Float64Array(c);
    for (let v = 0; v < voxels; v++) for (let ci = 0; ci < c; ci++) mean[ci] += x[base + v * c + ci] / voxels;
    const hidden = new Float64Array(r);
    for (let ri = 0; ri < r; ri++) {
      let s = w.b1[ri];
      for (let ci = 0; ci < c; ci++) s += mean[ci] * w.fc1[ci * r + ri];
      hidden[ri] = Math.max(0, s);
    }
    const gate = new Float64Array(c);
    for (let ci = 0; ci < c; ci++) {
      let s = w.b2[ci];
      for (let ri = 0; ri < r; ri++) s += hidden[ri] * w.fc2[ri * c + ci];
      gate[ci] = sigmoid(s);
    }
    for (let v = 0; v < voxels; v++) {
      let s = w.bs[0];
      for (let ci = 0; ci < c; ci++) s += x[base + v * c + ci] * w.sse[ci];
      const a = sigmoid(s);
      for (let ci = 0; ci < c; ci++) {
        const xv = x[base + v * c + ci];
        out[base + v * c + ci] = Math.max(xv * gate[ci], xv * a);
      }
    }
  }
  return out;
}

describe('the shared scSE block', () => {
  let parameters: NetworkParameters[] = [];
  const make = (name: string, seed = 3) => {
    const p = new NetworkParameters(name, new SeededRandom(seed));
    parameters.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of parameters) p.dispose();
    parameters = [];
  });

  describe('when created', () => {
    beforeAll(() => useBackend('cpu'));

    it('in 3D on 5 channels, should create fc1 [5, 2], fc2 [2, 5] and a 1x1x1 sSE conv, in that order, with nn.Linear / Conv3d fan_in bounds', () => {
      const p = make('se3');
      const se = createScSE(p, 'enc1', 5, 3);
      expect(p.trainableVariables.map((v) => `${v.name}:${v.shape}`)).toEqual([
        'se3/enc1/cse/fc1/kernel:5,2',
        'se3/enc1/cse/fc1/bias:2',
        'se3/enc1/cse/fc2/kernel:2,5',
        'se3/enc1/cse/fc2/bias:5',
        'se3/enc1/sse/conv/kernel:1,1,1,5,1',
        'se3/enc1/sse/conv/bias:1',
      ]);
      expect(Math.max(...Array.from(se.fc1.kernel.dataSync(), Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(5));
      expect(Math.max(...Array.from(se.fc2.kernel.dataSync(), Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(2));
      expect(Math.max(...Array.from(se.fc2.kernel.dataSync(), Math.abs))).toBeGreaterThan(1 / Math.sqrt(5));
    });

    it('in 2D, should create a 1x1 sSE conv', () => {
      expect(createScSE(make('se2'), 'dec2', 4, 2).spatial.kernel.shape).toEqual([1, 1, 4, 1]);
    });

    it('as a conv block, should append the scSE variables after the conv block\'s at the block path', () => {
      const p = make('blk');
      const block = createScSEConvBlock(p, { path: 'dec3', inChannels: 4, outChannels: 2, kernelSize: [3, 3, 3], dropout: 0.2 });
      expect(p.trainableVariables.map((v) => v.name.slice(4))).toEqual([
        'dec3/conv1/kernel', 'dec3/conv1/bias', 'dec3/bn1/gamma', 'dec3/bn1/beta',
        'dec3/conv2/kernel', 'dec3/conv2/bias', 'dec3/bn2/gamma', 'dec3/bn2/beta',
        'dec3/cse/fc1/kernel', 'dec3/cse/fc1/bias', 'dec3/cse/fc2/kernel', 'dec3/cse/fc2/bias', 'dec3/sse/conv/kernel', 'dec3/sse/conv/bias',
      ]);
      expect(block.scse.spatial.kernel.shape).toEqual([1, 1, 1, 2, 1]);
      expect(block.dropout).toBe(0.2);
    });
  });

  describe.each([
    ['3D', [2, 2, 3, 4, 5], 3],
    ['2D', [2, 3, 4, 5], 2],
  ] as const)('having a %s input', (_, shape, dims) => {
    const c = shape[shape.length - 1];
    const voxels = size(shape.slice(1, -1));
    const x = pseudoRandom(size(shape), 5, -1, 3); // a non-zero mean, so the channel SE gets a gradient

    describe.each(BACKENDS_HERE)('on the %s backend', (backend) => {
      beforeAll(() => useBackend(backend));

      it('should equal the plain-loop float64 reference, without leaking', () => {
        const se = createScSE(make(`fw_${backend}`, 7), 'b', c, dims);
        const before = tf.memory().numTensors;
        const y = tf.tidy(() => applyScSE(se, tf.tensor<tf.Rank>(x, [...shape]) as tf.Tensor4D | tf.Tensor5D).dataSync());
        expect(tf.memory().numTensors).toBe(before);
        expectClose(y, referenceScSE(Float64Array.from(x), shape[0], voxels, c, weightsOf(se)), 1e-5);
      });
    });

    it('on cpu, should have gradients (input and every weight) equal to float64 central differences of the reference', async () => {
      await useBackend('cpu');
      // Seed 3 leaves both hidden units of the channel SE active (some seeds kill them at this size, zeroing fc1's gradient).
      const se = createScSE(make('grad', 3), 'b', c, dims);
      const projection = pseudoRandom(size(shape), 6);
      const variables = [se.fc1.kernel, se.fc1.bias, se.fc2.kernel, se.fc2.bias, se.spatial.kernel, se.spatial.bias];
      const analytic = tf.tidy(() => {
        const input = tf.tensor<tf.Rank>(x, [...shape]) as tf.Tensor5D;
        const r = tf.tensor<tf.Rank>(projection, [...shape]);
        const loss = () => tf.sum(tf.mul(applyScSE(se, input), r)) as tf.Scalar;
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(applyScSE(se, t as tf.Tensor5D), r)))(input);
        const { grads } = tf.variableGrads(loss, variables);
        return [dx, ...variables.map((v) => grads[v.name])].map((g) => Array.from(g.dataSync()));
      });
      const w = weightsOf(se);
      const xs = Float64Array.from(x);
      const referenceLoss = () => referenceScSE(xs, shape[0], voxels, c, w).reduce((s, yi, i) => s + yi * projection[i], 0);
      const numeric = [xs, w.fc1, w.b1, w.fc2, w.b2, w.sse, w.bs].map((values) =>
        Array.from(values, (original, i) => {
          const eps = 1e-6;
          values[i] = original + eps;
          const up = referenceLoss();
          values[i] = original - eps;
          const down = referenceLoss();
          values[i] = original;
          return (up - down) / (2 * eps);
        }),
      );
      ['x', 'fc1', 'b1', 'fc2', 'b2', 'sse', 'bs'].forEach((name, k) => {
        expect(numeric[k].some((g) => Math.abs(g) > 1e-3), name).toBe(true);
        expect(analytic[k].every(Number.isFinite), name).toBe(true);
        expectClose(analytic[k], numeric[k], 1e-3);
      });
    });
  });
});
