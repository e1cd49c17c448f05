import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { arsTverskyLoss } from '../../losses/ars-tversky-loss.js';
import { activationParam, LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam, patchSize: z.array(z.number().int().positive()).min(2).max(3), a: z.number().nonnegative().default(0.3), b: z.number().nonnegative().default(0.4) }).strict();

/** Adaptive region-specific Tversky loss over patches (2D or 3D) (Chen et al. Adaptive Region-Specific Loss for Improved Medical Image Segmentation. IEEE TPAMI 2023). */
export class ArsTverskyLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'ArsTverskyLoss';
  static readonly description = 'Adaptive region-specific Tversky loss over patches (2D or 3D)';
  static readonly reference = 'Chen et al. Adaptive Region-Specific Loss for Improved Medical Image Segmentation. IEEE TPAMI 2023';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    return arsTverskyLoss(prediction, oneHot, { ...options, patchSize: this.params.patchSize, a: this.params.a, b: this.params.b });
  }
}
