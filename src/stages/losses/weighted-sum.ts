import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';

const params = z.object({}).strict();

const weightedSumInputs = {
  terms: { type: 'scalar', list: true, description: 'the scalar terms' },
  weights: { type: 'scalar', list: true, optional: true, description: 'one weight per term (default 1)' },
} as const satisfies PortSpecs;
const weightedSumOutputs = { loss: { type: 'scalar', description: 'the weighted sum' } } as const satisfies PortSpecs;

/**
 * Σ weightᵢ · termᵢ over scalar terms. Weights are scalar inputs too, so a constant (`1`) and a scheduled value
 * (`'rampup'`) mix freely: `inputs: { terms: ['dice', 'ce'], weights: [1, 0.5] }`. Without weights, a plain sum.
 */
export class WeightedSum extends TensorStage<z.infer<typeof params>, typeof weightedSumInputs> {
  static readonly className = 'WeightedSum';
  static readonly description = 'Weighted sum of scalar loss terms; weights may be constants or scalar nodes';
  static readonly paramsSchema = params;
  static readonly inputs = weightedSumInputs;
  static readonly outputs = weightedSumOutputs;

  static checkWiring(_params: unknown, lengths: Readonly<Record<string, number>>): string | undefined {
    if (lengths.weights !== undefined && lengths.weights !== lengths.terms) {
      return `${lengths.terms} terms but ${lengths.weights} weights; give one weight per term`;
    }
    return undefined;
  }

  override compute(inputs: InputsOf<typeof weightedSumInputs>): Record<string, tf.Tensor> {
    const { terms, weights } = inputs;
    const weighted = terms.map((t, i) => (weights ? tf.mul(t, weights[i]) : t));
    return { loss: weighted.length === 1 ? weighted[0] : tf.addN(weighted) };
  }
}
