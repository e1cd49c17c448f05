import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { consistencyLoss } from '../../losses/consistency-loss.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    kind: z.enum(['mse', 'mae', 'kl', 'js']).default('mse'),
    /** Block gradients through the target (on by default: the target is a teacher's or partner's opinion). */
    detachTarget: z.boolean().default(true),
  })
  .strict();

/**
 * Consistency between a prediction and a target probability map: MSE, MAE, KL or JS (mean teacher, CCT, MC-Net; MAE
 * against DAST's sharpened vote, Yang et al., IEEE JBHI 2022), optionally
 * restricted to the pixels of a `mask` (masked mean; the uncertainty mask of UA-MT, Yu et al., MICCAI 2019).
 */
export class ConsistencyLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'ConsistencyLoss';
  static readonly description = 'MSE / MAE / KL / JS consistency between two probability maps (target detached by default), optionally masked';
  static readonly reference = 'Tarvainen & Valpola, NeurIPS 2017; Ouali et al. (CCT), CVPR 2020; Yu et al. (UA-MT), MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = {
    prob: { type: 'tensor', description: 'probabilities that learn' },
    target: { type: 'tensor', description: 'target probabilities, same shape' },
    mask: { type: 'tensor', optional: true, description: 'pixels that count [N, ...spatial] (1 keep, 0 drop): the loss is the masked mean' },
  } as const;
  static readonly outputs = { loss: { type: 'scalar', description: 'the loss' } } as const;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const target = inputs.target as tf.Tensor;
    const mask = inputs.mask as tf.Tensor | undefined;
    const detachedTarget = this.params.detachTarget ? stopGradient(target) : target;
    return { loss: consistencyLoss(inputs.prob as tf.Tensor, detachedTarget, this.params.kind, mask === undefined ? undefined : stopGradient(mask)) };
  }
}
