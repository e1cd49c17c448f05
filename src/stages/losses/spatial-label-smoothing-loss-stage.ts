import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { TensorInputs } from '../../graph/stage.js';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { spatialLabelSmoothingLoss } from '../../losses/spatial-label-smoothing-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, epsilon: z.number().min(0).max(0.5).default(0.25) }).strict();

/** Spatial label smoothing: cross-entropy with labels smoothed where flagged noisy (Zhang, Gao et al., MICCAI 2020). */
export class SLSRLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'SLSRLoss';
  static readonly description = 'Cross-entropy with labels smoothed towards 1/2 at pixels flagged noisy';
  static readonly reference = 'Zhang, Gao et al. Characterizing Label Errors: Confident Learning for Noisy-Labeled Image Segmentation. MICCAI 2020';
  static readonly paramsSchema = params;
  static readonly inputs = {
    ...labelledLossInputs,
    noisyMask: { type: 'tensor', optional: true, description: '1 where the label is suspected wrong [N, ...spatial]' },
  } as const;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions, inputs: TensorInputs): tf.Scalar {
    return spatialLabelSmoothingLoss(prediction, oneHot, { ...options, epsilon: this.params.epsilon, noisyMask: inputs.noisyMask as tf.Tensor | undefined });
  }
}
