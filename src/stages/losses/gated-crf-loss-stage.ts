import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { gatedCrfLoss } from '../../losses/gated-crf-loss.js';
import { activatedLossOptions, activationParam, lossOutputs, unlabelledLossInputs } from './segmentation-loss-stage.js';

const kernel = z
  .object({ weight: z.number().nonnegative(), xy: z.number().positive().optional(), image: z.number().positive().optional() })
  .strict()
  .refine((k) => k.xy !== undefined || k.image !== undefined, { message: 'a kernel needs an xy or image bandwidth' });

const params = z
  .object({
    activation: activationParam,
    kernels: z.array(kernel).min(1).default([{ weight: 1, xy: 6, image: 0.1 }]),
    radius: z.number().int().positive().default(5),
  })
  .strict();

/** Gated CRF loss (Potts) over a (2r + 1)^2 neighbourhood (Obukhov et al., arXiv:1906.04651, 2019), 2D. */
export class GatedCRFLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'GatedCRFLoss';
  static readonly description = 'Gated CRF regulariser: neighbours with similar position / intensity should agree (2D)';
  static readonly reference = 'Obukhov, Georgoulis, Dai, Van Gool. Gated CRF Loss for Weakly Supervised Semantic Image Segmentation. arXiv 2019';
  static readonly paramsSchema = params;
  static readonly inputs = {
    ...unlabelledLossInputs,
    image: { type: 'tensor', optional: true, description: 'images [N, H, W, K], needed by kernels with an image bandwidth' },
  } as const;
  static readonly outputs = lossOutputs;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    return {
      loss: gatedCrfLoss(inputs.prediction as tf.Tensor, inputs.image as tf.Tensor | undefined, {
        ...activatedLossOptions(inputs, this.params.activation),
        kernels: this.params.kernels,
        radius: this.params.radius,
      }),
    };
  }
}
