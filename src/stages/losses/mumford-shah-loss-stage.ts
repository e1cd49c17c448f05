import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { mumfordShahLoss } from '../../losses/mumford-shah-loss.js';
import { activatedLossOptions, activationParam, lossOutputs, unlabelledLossInputs } from './segmentation-loss-stage.js';

const params = z
  .object({ activation: activationParam, penalty: z.enum(['l1', 'l2']).default('l1'), lambda: z.number().nonnegative().default(1) })
  .strict();

/** Mumford-Shah loss: piecewise-constant fit of the image plus a length term (Kim and Ye, IEEE TIP 2019). */
export class MumfordShahLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'MumfordShahLoss';
  static readonly description = 'Mumford-Shah functional: intensity variance within each soft region plus lambda times its boundary length';
  static readonly reference = 'Kim, Ye. Mumford-Shah Loss Functional for Image Segmentation With Deep Learning. IEEE TIP 2019';
  static readonly paramsSchema = params;
  static readonly inputs = {
    ...unlabelledLossInputs,
    image: { type: 'tensor', description: 'images [N, ...spatial, K]' },
  } as const;
  static readonly outputs = lossOutputs;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    return {
      loss: mumfordShahLoss(inputs.prediction as tf.Tensor, inputs.image as tf.Tensor, {
        ...activatedLossOptions(inputs, this.params.activation),
        penalty: this.params.penalty,
        lambda: this.params.lambda,
      }),
    };
  }
}
