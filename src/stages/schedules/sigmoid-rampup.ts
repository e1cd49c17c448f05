import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';

const params = z
  .object({
    start: z.number().int().min(0).default(0).describe("Iteration where the ramp starts (PyMIC's `rampup_start`); the value is 0 before it"),
    end: z.number().int().positive().describe("Iteration where the ramp reaches `max`, after `start` (PyMIC's `rampup_end`)"),
    max: z.number().min(0).default(1).describe('The value from `end` on: the full weight of the term it multiplies'),
  })
  .strict()
  .refine((p) => p.end > p.start, { message: 'end must come after start', path: ['end'] });

/** A schedule reads only the iteration. */
const sigmoidRampupInputs = {} as const satisfies PortSpecs;
const sigmoidRampupOutputs = { value: { type: 'scalar', description: 'the weight at this iteration' } } as const satisfies PortSpecs;

/** The sigmoid-shaped ramp exp(−5 (1 − t)²) of t = (iteration − start)/(end − start) clipped to [0, 1], times max. */
export function sigmoidRampup(iteration: number, start: number, end: number, max: number): number {
  const t = Math.min(Math.max((iteration - start) / (end - start), 0), 1);
  if (iteration < start) return 0;
  return max * Math.exp(-5 * (1 - t) * (1 - t));
}

/**
 * A scalar weight that ramps up with training, for unsupervised loss terms (Laine & Aila, "Temporal ensembling for
 * semi-supervised learning", ICLR 2017; PyMIC's `sigmoid_rampup` with `rampup_start`/`rampup_end`).
 */
export class SigmoidRampup extends TensorStage<z.infer<typeof params>, typeof sigmoidRampupInputs> {
  static readonly className = 'SigmoidRampup';
  static readonly description = 'Scalar weight ramping up as exp(-5(1-t)^2) between two iterations';
  static readonly reference = 'Laine & Aila. Temporal Ensembling for Semi-Supervised Learning. ICLR 2017';
  static readonly paramsSchema = params;
  static readonly inputs = sigmoidRampupInputs;
  static readonly outputs = sigmoidRampupOutputs;

  override compute(_inputs: InputsOf<typeof sigmoidRampupInputs>, tick: TickContext): Record<string, tf.Tensor> {
    return { value: tf.scalar(sigmoidRampup(tick.iteration, this.params.start, this.params.end, this.params.max)) };
  }
}
