import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';

const params = z
  .object({
    start: z.number().int().min(0).default(0).describe("Iteration where the ramp starts (PyMIC's `rampup_start`); the value is 0 up to it"),
    end: z.number().int().positive().describe("Iteration where the ramp reaches `max`, after `start` (PyMIC's `rampup_end`; Han et al.'s T_k)"),
    max: z.number().min(0).default(1).describe("The value from `end` on (co-teaching's forget rate τ)"),
  })
  .strict()
  .refine((p) => p.end > p.start, { message: 'end must come after start', path: ['end'] });

/** A schedule reads only the iteration. */
const linearRampupInputs = {} as const satisfies PortSpecs;
const linearRampupOutputs = { value: { type: 'scalar', description: 'the value at this iteration' } } as const satisfies PortSpecs;

/** max · clip((iteration − start)/(end − start), 0, 1): 0 up to `start`, linear to `max` at `end`, `max` after. */
export function linearRampup(iteration: number, start: number, end: number, max: number): number {
  return max * Math.min(Math.max((iteration - start) / (end - start), 0), 1);
}

/**
 * A scalar that ramps up linearly between two iterations: the forget rate of co-teaching, τ · min(t / T_k, 1) (Han et
 * al., "Co-teaching: robust training of deep neural networks with extremely noisy labels", NeurIPS 2018), which
 * small-loss selection turns into the kept fraction 1 − forget rate; PyMIC's `get_rampup_ratio(i, start, end,
 * "linear")` times a maximum (its NLLTriNet ramps the forget rate this way; its NLLCoTeaching uses the sigmoid shape of
 * SigmoidRampup instead).
 */
export class LinearRampup extends TensorStage<z.infer<typeof params>, typeof linearRampupInputs> {
  static readonly className = 'LinearRampup';
  static readonly description = 'Scalar ramping linearly from 0 to max between two iterations (co-teaching forget rate)';
  static readonly reference = 'Han et al. Co-teaching: Robust Training of Deep Neural Networks with Extremely Noisy Labels. NeurIPS 2018';
  static readonly paramsSchema = params;
  static readonly inputs = linearRampupInputs;
  static readonly outputs = linearRampupOutputs;

  override compute(_inputs: InputsOf<typeof linearRampupInputs>, tick: TickContext): Record<string, tf.Tensor> {
    return { value: tf.scalar(linearRampup(tick.iteration, this.params.start, this.params.end, this.params.max)) };
  }
}
