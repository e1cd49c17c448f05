import type { Sample } from '../../../src/graph/sample.js';
import type { StageContext } from '../../../src/graph/stage-context.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

/** A transform stage built the way the compiler builds it: params parsed by its schema (so defaults apply). */
export function makeTransform<P, S>(stageClass: { new (context: StageContext<P>): S; paramsSchema: { parse(v: unknown): P } }, params: unknown = {}): S {
  const context = { nodeName: 'node', params: stageClass.paramsSchema.parse(params), random: new SeededRandom(0) } as StageContext<P>;
  return new stageClass(context);
}

/** A sample with image values `values` (one channel) on `spatial`, and an optional label map. */
export function sampleOf(spatial: number[], values: ArrayLike<number>, label?: ArrayLike<number>, channels = 1): Sample {
  return {
    id: 'case',
    origin: 'test row 1',
    image: { data: Float32Array.from(values), shape: [...spatial, channels] },
    label: label ? { data: Int32Array.from(label), shape: [...spatial] } : undefined,
    random: new SeededRandom(1),
    spacing: spatial.map(() => 1),
  };
}

/** 0, 1, 2, … n−1. */
export function ramp(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
