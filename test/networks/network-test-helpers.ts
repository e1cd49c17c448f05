import * as tf from '@tensorflow/tfjs-core';
import { afterEach } from 'vitest';
import type { z } from 'zod';
import type { NetworkInstanceArgs } from '../../src/networks/network-unit.js';
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

/**
 * A network constructor that takes what a pipeline writes: the params go through the unit's schema (defaults filled
 * in, as a stage's params are), the instance's name and randomness beside them.
 */
export function parsingParams<S extends z.ZodType<object>, N>(schema: S, construct: (args: z.output<S> & NetworkInstanceArgs) => N) {
  return (args: z.input<S> & NetworkInstanceArgs): N => {
    const { name, random, ...params } = args;
    return construct({ ...schema.parse(params), name, random });
  };
}

/** What a params schema says of `params`, as 'path: message' lines; [] when it accepts them. */
export function schemaIssues(schema: z.ZodType, params: unknown): string[] {
  const parsed = schema.safeParse(params);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** What {@link parsingParams} takes: a schema's input and the instance's name and randomness. */
export type ParsedArgs<S extends z.ZodType> = z.input<S> & NetworkInstanceArgs;
