import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { lossActivations, type ActivatedLossOptions } from '../../losses/loss-activation.js';
import { oneHotFor } from './label-one-hot.js';

/** The `activation` param every loss stage has: applied to `prediction` first; 'softmax' takes the Forward stage's logits. */
export const activationParam = z.enum(lossActivations).default('softmax');

/** The ports of a loss that compares a prediction with a label map. */
export const labelledLossInputs = {
  prediction: {
    type: 'tensor',
    description: "network output [N, ...spatial, C]: logits with activation 'softmax' / 'sigmoid' / 'tanh', probabilities with 'none'",
  },
  label: { type: 'tensor', description: 'label map [N, ...spatial] int32' },
  mask: { type: 'tensor', optional: true, description: '1 for annotated, 0 for unannotated pixels [N, ...spatial] (partial labels)' },
  pixelWeight: { type: 'tensor', optional: true, description: 'non-negative weight per pixel [N, ...spatial]' },
} as const;

/** The ports of a regulariser that reads the prediction alone. */
export const unlabelledLossInputs = {
  prediction: labelledLossInputs.prediction,
  mask: { type: 'tensor', optional: true, description: '1 for pixels the term applies to, 0 elsewhere [N, ...spatial]' },
  pixelWeight: labelledLossInputs.pixelWeight,
} as const;

export const lossOutputs = { loss: { type: 'scalar', description: 'the loss' } } as const;

/** The activation, mask and pixel weight of a loss stage's inputs and params, as the loss functions take them. */
export function activatedLossOptions(inputs: TensorInputs, activation: ActivatedLossOptions['activation']): ActivatedLossOptions {
  return {
    activation,
    mask: inputs.mask as tf.Tensor | undefined,
    pixelWeight: inputs.pixelWeight as tf.Tensor | undefined,
  };
}

/**
 * Base of the loss stages that compare a prediction with a label map: converts the int32 label map to one-hot
 * targets with the prediction's class count (checking its shape) and passes the activation, the unannotated mask and
 * the pixel weights on to {@link LabelledLossStage.loss}.
 */
export abstract class LabelledLossStage<P extends { activation: ActivatedLossOptions['activation'] }> extends TensorStage<P> {
  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    const prediction = inputs.prediction as tf.Tensor;
    const oneHot = oneHotFor(prediction, inputs.label as tf.Tensor, this.nodeName);
    return { loss: this.loss(prediction, oneHot, activatedLossOptions(inputs, this.params.activation), inputs) };
  }

  /** The loss of a prediction against one-hot targets. */
  protected abstract loss(prediction: tf.Tensor, oneHot: tf.Tensor, options: ActivatedLossOptions, inputs: TensorInputs): tf.Scalar;
}
