import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { crossEntropyLoss } from '../../losses/cross-entropy-loss.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';
import { lossOutputs, unlabelledLossInputs } from './loss-stage-ports.js';

const params = z.object({}).strict();

const softCrossEntropyInputs = {
  prediction: { type: 'tensor', description: 'logits [N, ...spatial, C]' },
  target: { type: 'tensor', description: 'target probabilities [N, ...spatial, C] (rows summing to 1), detached' },
  mask: unlabelledLossInputs.mask,
  pixelWeight: unlabelledLossInputs.pixelWeight,
} as const satisfies PortSpecs;

/**
 * Cross-entropy against a soft target (a probability map rather than a class map): per pixel −Σ_c q_c log softmax(z)_c,
 * the mean over the (masked, weighted) pixels, computed stably from logits with the analytic gradient
 * softmax(z)·Σ_c q_c − q. The target is always detached: it is a pseudo label (DMSPS's dynamically mixed soft pseudo
 * label, Han et al., "DMSPS: Dynamically mixed soft pseudo-label supervision for scribble-supervised medical image
 * segmentation", Medical Image Analysis 2024; PyMIC's CrossEntropyLoss with a soft ground truth). Unlike KL consistency
 * its value includes the target's entropy, so it is the term PyMIC reports.
 */
export class SoftCrossEntropyLoss extends TensorStage<z.infer<typeof params>, typeof softCrossEntropyInputs> {
  static readonly className = 'SoftCrossEntropyLoss';
  static readonly description = 'Cross-entropy of logits against a soft target probability map (detached), optional mask / pixel weights';
  static readonly reference = 'Han et al. DMSPS: Dynamically mixed soft pseudo-label supervision. Medical Image Analysis 2024';
  static readonly paramsSchema = params;
  static readonly inputs = softCrossEntropyInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: InputsOf<typeof softCrossEntropyInputs>): Record<string, tf.Tensor> {
    const { prediction, target } = inputs;
    if (prediction.shape.join('x') !== target.shape.join('x')) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": prediction [${prediction.shape}] and target [${target.shape}] differ in shape`);
    }
    return {
      loss: crossEntropyLoss(prediction, stopGradient(target), { mask: inputs.mask, pixelWeight: inputs.pixelWeight }),
    };
  }
}
