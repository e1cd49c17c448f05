import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { consistencyKinds, consistencyLoss } from '../../losses/consistency-loss.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    kind: z
      .enum(consistencyKinds)
      .default('mse')
      .describe("The measure: 'mse' mean (p − q)², 'mae' mean |p − q|, 'kl' KL(target ‖ prob) per pixel, 'js' Jensen–Shannon divergence per pixel"),
    detachTarget: z
      .boolean()
      .default(true)
      .describe("Block gradients through the target (on by default: the target is a teacher's or partner's opinion)"),
  })
  .strict();

const consistencyLossInputs = {
  prob: { type: 'tensor', description: 'probabilities that learn' },
  target: { type: 'tensor', description: 'target probabilities, same shape' },
  mask: { type: 'tensor', optional: true, description: 'pixels that count [N, ...spatial] (1 keep, 0 drop): the loss is the masked mean' },
} as const satisfies PortSpecs;
const consistencyLossOutputs = { loss: { type: 'scalar', description: 'the loss' } } as const satisfies PortSpecs;

/**
 * Consistency between a prediction and a target probability map: MSE, MAE, KL or JS (mean teacher, CCT, MC-Net; MAE
 * against DAST's sharpened vote, Yang et al., IEEE JBHI 2022), optionally
 * restricted to the pixels of a `mask` (masked mean; the uncertainty mask of UA-MT, Yu et al., MICCAI 2019).
 */
export class ConsistencyLoss extends TensorStage<z.infer<typeof params>, typeof consistencyLossInputs> {
  static readonly className = 'ConsistencyLoss';
  static readonly description = 'MSE / MAE / KL / JS consistency between two probability maps (target detached by default), optionally masked';
  static readonly reference = 'Tarvainen & Valpola, NeurIPS 2017; Ouali et al. (CCT), CVPR 2020; Yu et al. (UA-MT), MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = consistencyLossInputs;
  static readonly outputs = consistencyLossOutputs;

  override compute(inputs: InputsOf<typeof consistencyLossInputs>): Record<string, tf.Tensor> {
    const { prob, target, mask } = inputs;
    const detachedTarget = this.params.detachTarget ? stopGradient(target) : target;
    return { loss: consistencyLoss(prob, detachedTarget, this.params.kind, mask === undefined ? undefined : stopGradient(mask)) };
  }
}
