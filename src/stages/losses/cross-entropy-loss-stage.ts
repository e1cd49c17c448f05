import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivatedLossOptions } from '../../losses/loss-activation.js';
import { crossEntropyLoss, crossEntropyFromProbabilities } from '../../losses/cross-entropy-loss.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { LabelledLossStage, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z
  .object({
    /** 'softmax': the prediction is logits (stable log-softmax); 'none': it is probabilities (clamped, as PyMIC). */
    activation: z.enum(['softmax', 'none']).default('softmax'),
    classWeights: z.array(z.number().nonnegative()).optional(),
  })
  .strict();

/** Pixel-wise cross-entropy against a label map, mean over (weighted, annotated) pixels, optional class weights. */
export class CrossEntropyLoss extends LabelledLossStage<z.infer<typeof params>> {
  static readonly className = 'CrossEntropyLoss';
  static readonly description = 'Pixel-wise cross-entropy against a label map, class/pixel weights, unannotated mask';
  static readonly paramsSchema = params;
  static readonly inputs = labelledLossInputs;
  static readonly outputs = lossOutputs;

  protected override loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions): tf.Scalar {
    if (options.activation === 'softmax') {
      return crossEntropyLoss(prediction, oneHot, { classWeights: this.params.classWeights, pixelWeight: options.pixelWeight, mask: options.mask });
    }
    if (this.params.classWeights || options.pixelWeight || options.mask) {
      throw new MicflowError('invalid-argument', `node "${this.nodeName}": class weights, pixel weights and masks need activation 'softmax' (logits)`);
    }
    return crossEntropyFromProbabilities(prediction, oneHot);
  }
}
