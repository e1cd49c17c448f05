import type * as tf from '@tensorflow/tfjs-core';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import type { ActivatedLossParams } from '../../losses/loss-activation.js';
import type { UnlabelledLossUnit } from '../../losses/loss-unit.js';
import { lossOutputs, unlabelledLossInputs } from './loss-stage-ports.js';

/**
 * The stage of a loss unit that regularises the prediction alone: ports prediction, mask and pixelWeight, output loss,
 * the unit's loss under the node's params and the wired pixel weights.
 * `export const EntropyLoss = unlabelledLossStage(entropyLossUnit);` is the whole stage.
 */
export function unlabelledLossStage<P extends ActivatedLossParams>(unit: UnlabelledLossUnit<P>) {
  const stage = class extends TensorStage<P, typeof unlabelledLossInputs> {
    static readonly className = unit.className;
    static readonly description = unit.description;
    static readonly reference = unit.reference;
    static readonly paramsSchema = unit.paramsSchema;
    static readonly inputs = unlabelledLossInputs;
    static readonly outputs = lossOutputs;

    override compute(inputs: InputsOf<typeof unlabelledLossInputs>): Record<string, tf.Tensor> {
      return { loss: unit.loss(inputs.prediction, { ...this.params, mask: inputs.mask, pixelWeight: inputs.pixelWeight }) };
    }
  };
  // Stack traces and debuggers show the pipeline's name for the class rather than the factory's.
  Object.defineProperty(stage, 'name', { value: unit.className });
  return stage;
}
