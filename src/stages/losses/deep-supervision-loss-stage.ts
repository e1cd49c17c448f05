import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { crossEntropyLoss } from '../../losses/cross-entropy-loss.js';
import { deepSupervisionLoss, type BaseSegmentationLoss } from '../../losses/deep-supervision-loss.js';
import { diceLoss } from '../../losses/dice-loss.js';
import { activatePrediction, type LossActivation } from '../../losses/loss-activation.js';
import { meanSquaredErrorLoss } from '../../losses/mean-squared-error-loss.js';
import { oneHotFor } from './label-one-hot.js';
import { activationParam, labelledLossInputs, lossOutputs } from './segmentation-loss-stage.js';

const params = z
  .object({
    activation: activationParam,
    /**
     * The loss applied at every scale: soft Dice, cross-entropy on logits (soft targets allowed), their mean
     * (CE + Dice) / 2, or MSE. The cross-entropy ones need activation 'softmax'.
     */
    baseLoss: z.enum(['dice', 'crossEntropy', 'diceCrossEntropy', 'mse']).default('diceCrossEntropy'),
    /** One weight per prediction; default 1, 1/2, 1/4, ... */
    weights: z.array(z.number().nonnegative()).optional(),
    mode: z.enum(['upsample-prediction', 'downsample-label']).default('upsample-prediction'),
  })
  .strict()
  .refine((p) => p.baseLoss === 'dice' || p.baseLoss === 'mse' || p.activation === 'softmax', {
    message: "cross-entropy base losses take logits: use activation 'softmax'",
    path: ['activation'],
  });

/**
 * Deep supervision over a network's multiscale outputs (full resolution first): the base loss at every scale, weighted
 * 1/2^i by default (Lee et al., "Deeply-Supervised Nets", AISTATS 2015; PyMIC's DeepSuperviseLoss).
 */
export class DeepSupervisionLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'DeepSupervisionLoss';
  static readonly description = 'Weighted base loss over multiscale predictions (upsampled, or against a downsampled label)';
  static readonly reference = 'Lee, Xie, Gallagher, Zhang, Tu. Deeply-Supervised Nets. AISTATS 2015';
  static readonly paramsSchema = params;
  static readonly inputs = {
    predictions: { type: 'tensor', list: true, description: 'outputs [N, ...spatial_i, C], full resolution first' },
    label: labelledLossInputs.label,
    mask: labelledLossInputs.mask,
    pixelWeight: labelledLossInputs.pixelWeight,
  } as const;
  static readonly outputs = lossOutputs;

  static checkWiring(p: z.infer<typeof params>, lengths: Readonly<Record<string, number>>): string | undefined {
    if (p.weights !== undefined && p.weights.length !== lengths.predictions) {
      return `${p.weights.length} weights for ${lengths.predictions} predictions; give one weight per prediction`;
    }
    return undefined;
  }

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const predictions = inputs.predictions as tf.Tensor[];
    if (predictions.length === 0) throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": no predictions wired`);
    const label = inputs.label as tf.Tensor;
    const first = predictions[0];
    const oneHot = oneHotFor(first, label, this.nodeName);
    const base = baseLoss(this.params.baseLoss, this.params.activation);
    return {
      loss: deepSupervisionLoss(predictions, oneHot, base, {
        weights: this.params.weights,
        mode: this.params.mode,
        mask: inputs.mask as tf.Tensor | undefined,
        pixelWeight: inputs.pixelWeight as tf.Tensor | undefined,
      }),
    };
  }
}

function baseLoss(name: z.infer<typeof params>['baseLoss'], activation: LossActivation): BaseSegmentationLoss {
  switch (name) {
    case 'dice':
      return (p, y, w) => diceLoss(activatePrediction(p, activation), y, w);
    case 'mse':
      return (p, y, w) => meanSquaredErrorLoss(p, y, { ...w, activation });
    case 'crossEntropy':
      return (p, y, w) => crossEntropyLoss(p, y, w);
    case 'diceCrossEntropy':
      return (p, y, w) => {
        const ce = crossEntropyLoss(p, y, w);
        const dice = diceLoss(activatePrediction(p, activation), y, w);
        return tf.div(tf.add(ce, dice), 2) as tf.Scalar;
      };
  }
}

