import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { totalVariationLoss } from '../../losses/total-variation-loss.js';
import { activatedLossOptions, activationParam, lossOutputs, unlabelledLossInputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam }).strict();

/** Soft contour length of the prediction, 3x3 (2D) or 3x3x3 (3D) morphology (PyMIC's TotalVariationLoss, fixed for 2D). */
export class TotalVariationLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'TotalVariationLoss';
  static readonly description = 'Total-variation regulariser: mean soft contour (opening minus erosion), 2D or 3D';
  static readonly reference = 'PyMIC TotalVariationLoss (pymic/loss/seg/ssl.py)';
  static readonly paramsSchema = params;
  static readonly inputs = unlabelledLossInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    return { loss: totalVariationLoss(inputs.prediction as tf.Tensor, activatedLossOptions(inputs, this.params.activation)) };
  }
}
