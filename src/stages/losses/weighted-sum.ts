import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';

const params = z.object({}).strict();

/**
 * Σ weightᵢ · termᵢ over scalar terms. Weights are scalar inputs too, so a constant (`1`) and a scheduled value
 * (`'rampup'`) mix freely: `inputs: { terms: ['dice', 'ce'], weights: [1, 0.5] }`. Without weights, a plain sum.
 */
export class WeightedSum extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'WeightedSum';
  static readonly description = 'Weighted sum of scalar loss terms; weights may be constants or scalar nodes';
  static readonly paramsSchema = params;
  static readonly inputs = {
    terms: { type: 'scalar', list: true, description: 'the scalar terms' },
    weights: { type: 'scalar', list: true, optional: true, description: 'one weight per term (default 1)' },
  } as const;
  static readonly outputs = { loss: { type: 'scalar', description: 'the weighted sum' } } as const;

  static checkWiring(_params: unknown, lengths: Readonly<Record<string, number>>): string | undefined {
    if (lengths.weights !== undefined && lengths.weights !== lengths.terms) {
      return `${lengths.terms} terms but ${lengths.weights} weights; give one weight per term`;
    }
    return undefined;
  }

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const terms = inputs.terms as tf.Tensor[];
    const weights = inputs.weights as tf.Tensor[] | undefined;
    const weighted = terms.map((t, i) => (weights ? tf.mul(t, weights[i]) : t));
    return { loss: weighted.length === 1 ? weighted[0] : tf.addN(weighted) };
  }
}
