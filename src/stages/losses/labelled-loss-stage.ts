import type * as tf from '@tensorflow/tfjs-core';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import type { ActivatedLossParams } from '../../losses/loss-activation.js';
import type { LabelledLossUnit } from '../../losses/loss-unit.js';
import { oneHotFor } from './label-one-hot.js';
import { labelledLossInputs, lossOutputs } from './loss-stage-ports.js';

/**
 * The stage of a loss unit that compares a prediction with a label map: ports prediction, label, mask and pixelWeight,
 * output loss. Each tick it turns the int32 label map into one-hot targets with the prediction's class count (naming
 * the node when the shapes differ) and returns the unit's loss under the node's params and the wired pixel weights.
 * `export const DiceLoss = labelledLossStage(diceLossUnit);` is the whole stage.
 */
export function labelledLossStage<P extends ActivatedLossParams>(unit: LabelledLossUnit<P>) {
  const stage = class extends TensorStage<P, typeof labelledLossInputs> {
    static readonly className = unit.className;
    static readonly description = unit.description;
    static readonly reference = unit.reference;
    static readonly paramsSchema = unit.paramsSchema;
    static readonly inputs = labelledLossInputs;
    static readonly outputs = lossOutputs;

    override compute(inputs: InputsOf<typeof labelledLossInputs>): Record<string, tf.Tensor> {
      const oneHot = oneHotFor(inputs.prediction, inputs.label, this.nodeName);
      return { loss: unit.loss(inputs.prediction, oneHot, { ...this.params, mask: inputs.mask, pixelWeight: inputs.pixelWeight }) };
    }
  };
  // Stack traces and debuggers show the pipeline's name for the class rather than the factory's.
  Object.defineProperty(stage, 'name', { value: unit.className });
  return stage;
}
