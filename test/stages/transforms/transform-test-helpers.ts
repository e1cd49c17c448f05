import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { Sample } from '../../../src/graph/sample.js';
import type { StageClass } from '../../../src/graph/stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

/** A transform stage of node `node`, built as the compiler builds it: params parsed by its schema (so defaults apply). */
export function makeTransform<C extends StageClass>(stageClass: C, params: unknown = {}): InstanceType<C> {
  return instantiateStage(stageClass, { nodeName: 'node', params, random: new SeededRandom(0) });
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
