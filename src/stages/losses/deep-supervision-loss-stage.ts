import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { crossEntropyLoss } from '../../losses/cross-entropy-loss.js';
import {
  deepSupervisionLoss,
  deepSupervisionLossParams,
  type BaseSegmentationLoss,
  type DeepSupervisionLossParams,
} from '../../losses/deep-supervision-loss.js';
import { diceLoss } from '../../losses/dice-loss.js';
import { activatePrediction, type LossActivation } from '../../losses/loss-activation.js';
import { meanSquaredErrorLoss } from '../../losses/mean-squared-error-loss.js';
import { oneHotFor } from './label-one-hot.js';
import { labelledLossInputs, lossOutputs } from './loss-stage-ports.js';

const deepSupervisionInputs = {
  predictions: { type: 'tensor', list: true, description: 'outputs [N, ...spatial_i, C], full resolution first' },
  label: labelledLossInputs.label,
  mask: labelledLossInputs.mask,
  pixelWeight: labelledLossInputs.pixelWeight,
} as const satisfies PortSpecs;

/**
 * Deep supervision over a network's multiscale outputs (full resolution first): the base loss at every scale, weighted
 * 1/2^i by default (Lee et al., "Deeply-Supervised Nets", AISTATS 2015; PyMIC's DeepSuperviseLoss).
 */
export class DeepSupervisionLoss extends TensorStage<DeepSupervisionLossParams, typeof deepSupervisionInputs> {
  static readonly className = 'DeepSupervisionLoss';
  static readonly description = 'Weighted base loss over multiscale predictions (upsampled, or against a downsampled label)';
  static readonly reference = 'Lee, Xie, Gallagher, Zhang, Tu. Deeply-Supervised Nets. AISTATS 2015';
  static readonly paramsSchema = deepSupervisionLossParams;
  static readonly inputs = deepSupervisionInputs;
  static readonly outputs = lossOutputs;

  static checkWiring(p: DeepSupervisionLossParams, lengths: Readonly<Record<string, number>>): string | undefined {
    if (p.weights !== undefined && p.weights.length !== lengths.predictions) {
      return `${p.weights.length} weights for ${lengths.predictions} predictions; give one weight per prediction`;
    }
    return undefined;
  }

  override compute(inputs: InputsOf<typeof deepSupervisionInputs>): Record<string, tf.Tensor> {
    const { predictions } = inputs;
    if (predictions.length === 0) throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": no predictions wired`);
    const oneHot = oneHotFor(predictions[0], inputs.label, this.nodeName);
    const base = baseLoss(this.params.baseLoss, this.params.activation);
    return {
      loss: deepSupervisionLoss(predictions, oneHot, base, {
        weights: this.params.weights,
        mode: this.params.mode,
        mask: inputs.mask,
        pixelWeight: inputs.pixelWeight,
      }),
    };
  }
}

function baseLoss(name: DeepSupervisionLossParams['baseLoss'], activation: LossActivation): BaseSegmentationLoss {
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
