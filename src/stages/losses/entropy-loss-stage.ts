import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { TensorStage, type TensorInputs } from '../../graph/stage.js';
import { entropyLoss } from '../../losses/entropy-loss.js';
import { activatedLossOptions, activationParam, lossOutputs, unlabelledLossInputs } from './segmentation-loss-stage.js';

const params = z.object({ activation: activationParam }).strict();

/** Entropy minimisation, normalised by log C (Grandvalet and Bengio, NeurIPS 2004; PyMIC's EntropyLoss). */
export class EntropyLoss extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'EntropyLoss';
  static readonly description = 'Mean prediction entropy divided by log C (entropy minimisation regulariser)';
  static readonly reference = 'Grandvalet, Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004';
  static readonly paramsSchema = params;
  static readonly inputs = unlabelledLossInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: TensorInputs): Record<string, tf.Tensor> {
    return { loss: entropyLoss(inputs.prediction as tf.Tensor, activatedLossOptions(inputs, this.params.activation)) };
  }
}
