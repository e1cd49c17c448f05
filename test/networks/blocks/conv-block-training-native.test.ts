import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { applyConvBlock, createConvBlock } from '../../../src/networks/blocks/conv-block.js';
import { NetworkParameters } from '../../../src/networks/network-parameters.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}

/** max |a − e| / max(max |e|, floor). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 0): number {
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return worst / scale;
}

/**
 * On native, a training conv block runs LeakyReLU / ReLU inside the batch norm's own passes (forward and backward);
 * on cpu it runs conv, batch norm and activation as separate ops. Both must give the same outputs, gradients and
 * running statistics.
 */
describe.skipIf(!native.available)('a conv block training on the native backend', () => {
  for (const [dims, kernelSize, xShape] of [
    ['2D', [3, 3], [2, 6, 5, 2]],
    ['3D', [3, 3, 3], [2, 3, 4, 5, 2]],
  ] as const) {
    for (const activation of ['leakyRelu', 'relu', 'prelu'] as const) {
      it(`when a ${dims} ${activation} block trains should give cpu's output, gradients and running statistics, without leaking`, async () => {
        const xValues = new SeededRandom(9).normalArray(xShape.reduce((a: number, b: number) => a * b, 1));
        const weights = new SeededRandom(10).normalArray(xShape.slice(0, -1).reduce((a: number, b: number) => a * b, 3));
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          const parameters = new NetworkParameters(`train_${backend}_${dims}_${activation}`, new SeededRandom(12));
          const block = createConvBlock(parameters, { path: 'b', inChannels: 2, outChannels: 3, kernelSize: [...kernelSize], dropout: 0, activation });
          const x = tf.tensor<tf.Rank>(xValues, [...xShape]) as tf.Tensor4D;
          const w = tf.tensor<tf.Rank>(weights, [...xShape.slice(0, -1), 3]);
          const before = tf.memory().numTensors;
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(applyConvBlock(block, x, true, undefined), w)) as tf.Scalar, parameters.trainableVariables);
          expect(tf.memory().numTensors).toBe(before + 1 + parameters.trainableVariables.length);
          const result = {
            value: value.dataSync()[0],
            grads: parameters.trainableVariables.map((v) => grads[v.name].dataSync().slice()),
            state: parameters.stateVariables.map((v) => v.dataSync().slice()),
          };
          tf.dispose([x, w, value, ...Object.values(grads)]);
          parameters.dispose();
          return result;
        };
        const expected = await run('cpu');
        const actual = await run('native');
        expect(Math.abs(actual.value - expected.value) / Math.abs(expected.value)).toBeLessThan(1e-5);
        // A conv bias before a training-mode batch norm has a zero gradient (the batch mean removes it): both sides
        // hold rounding noise there, so errors are relative to the largest gradient entry of the block.
        const gradientScale = Math.max(...expected.grads.map((g) => Math.max(...Array.from(g, Math.abs))));
        actual.grads.forEach((g, i) => expect(relativeError(g, expected.grads[i], gradientScale), `gradient ${i}`).toBeLessThan(1e-4));
        actual.state.forEach((s, i) => expect(relativeError(s, expected.state[i]), `state ${i}`).toBeLessThan(1e-5));
      });
    }
  }
});
