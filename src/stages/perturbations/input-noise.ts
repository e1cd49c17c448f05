import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';

const params = z
  .object({
    std: z.number().min(0).default(0.1).describe("Standard deviation of the Gaussian noise, in the tensor's units (mean teacher and PyMIC: 0.1)"),
    clip: z.number().positive().default(0.2).describe('The noise is clipped to [−clip, clip] (mean teacher and PyMIC: 0.2)'),
  })
  .strict();

const inputNoiseInputs = { x: { type: 'tensor', description: 'the tensor to perturb' } } as const satisfies PortSpecs;
const inputNoiseOutputs = { y: { type: 'tensor', description: 'x plus clipped noise' } } as const satisfies PortSpecs;

/**
 * Adds clipped Gaussian noise to a tensor inside the tick (the teacher-input noise of mean teacher: N(0, 0.1²) clipped to
 * ±0.2 in Yu et al., "Uncertainty-aware self-ensembling model", MICCAI 2019, and PyMIC). Seeded per node and iteration.
 */
export class InputNoise extends TensorStage<z.infer<typeof params>, typeof inputNoiseInputs> {
  static readonly className = 'InputNoise';
  static readonly description = 'Adds clipped Gaussian noise to a tensor (teacher input perturbation)';
  static readonly reference = 'Yu et al. Uncertainty-aware self-ensembling model for semi-supervised 3D left atrium segmentation. MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = inputNoiseInputs;
  static readonly outputs = inputNoiseOutputs;

  override compute(inputs: InputsOf<typeof inputNoiseInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const x = inputs.x;
    const { std, clip } = this.params;
    const noise = tick.random.normalArray(x.size, 0, std).map((v) => Math.min(Math.max(v, -clip), clip));
    return { y: tf.add(x, tf.tensor(noise, x.shape, 'float32')) };
  }
}
