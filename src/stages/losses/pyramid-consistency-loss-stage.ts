import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { pyramidConsistencyLoss } from '../../losses/pyramid-consistency-loss.js';
import { lossOutputs } from './loss-stage-ports.js';

const params = z.object({}).strict();

const pyramidConsistencyInputs = {
  probs: { type: 'tensor', list: true, description: 'probabilities of each scale at one resolution [N, ...spatial, C], at least 2' },
} as const satisfies PortSpecs;

/**
 * URPC's uncertainty-rectified pyramid consistency between a network's multiscale predictions on unlabelled images
 * (Luo et al., MICCAI 2021; PyMIC's SSLURPC): each scale's KL divergence from the mean prediction is its uncertainty,
 * exp(−KL) weights its squared difference to the mean, and the mean KL is added (see pyramidConsistencyLoss). Wire the
 * heads of ForwardHeads with `resize: 'input'`: `probs: ['heads.prob', 'heads.prob1', 'heads.prob2', 'heads.prob3']`.
 */
export class PyramidConsistencyLoss extends TensorStage<z.infer<typeof params>, typeof pyramidConsistencyInputs> {
  static readonly className = 'PyramidConsistencyLoss';
  static readonly description = 'Uncertainty-rectified pyramid consistency (URPC): exp(-KL)-weighted MSE of each scale to the mean, plus the KL';
  static readonly reference = 'Luo et al. Efficient semi-supervised gross target volume of nasopharyngeal carcinoma segmentation via uncertainty rectified pyramid consistency. MICCAI 2021';
  static readonly paramsSchema = params;
  static readonly inputs = pyramidConsistencyInputs;
  static readonly outputs = lossOutputs;

  static checkWiring(_params: unknown, lengths: Readonly<Record<string, number>>): string | undefined {
    return lengths.probs < 2 ? `${lengths.probs} probability map wired; the pyramid consistency compares at least 2 scales` : undefined;
  }

  override compute(inputs: InputsOf<typeof pyramidConsistencyInputs>): Record<string, tf.Tensor> {
    return { loss: pyramidConsistencyLoss(inputs.probs) };
  }
}
