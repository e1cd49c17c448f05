import * as tf from '@tensorflow/tfjs-core';
import { afterEach } from 'vitest';
import type { SegmentationNetwork } from '../../src/networks/segmentation-network.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';

/** Wraps a network constructor so that every network it builds in a test is disposed after that test. */
export function disposedAfterEach<A extends unknown[], T extends { dispose(): void }>(create: (...args: A) => T): (...args: A) => T {
  let live: T[] = [];
  afterEach(() => {
    live.forEach((n) => n.dispose());
    live = [];
  });
  return (...args: A) => {
    const net = create(...args);
    live.push(net);
    return net;
  };
}

/**
 * Gradients of Σ projection ⊙ net(x) with respect to every trainable variable, keyed by the variable name without the
 * network's name prefix (so two instances compare). Works for 2D images [N, H, W, C] and 3D volumes [N, D, H, W, C];
 * dropout draws come from a fixed seed.
 */
export function projectedGradients(
  net: SegmentationNetwork,
  x: Float32Array,
  xShape: readonly number[],
  projection: Float32Array,
  training = true,
): Map<string, Float32Array> {
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const y = net.apply(tf.tensor<tf.Rank>(x, [...xShape]) as tf.Tensor4D, { training, random: new SeededRandom(1) });
        return tf.sum(tf.mul(y, tf.tensor(projection, y.shape))) as tf.Scalar;
      }),
    net.trainableVariables as tf.Variable[],
  );
  value.dispose();
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) {
    out.set(name.slice(net.name.length + 1), g.dataSync() as Float32Array);
    g.dispose();
  }
  return out;
}
