import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import '../../runtime/register-gradients.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

/** How probabilities are sharpened; see {@link sharpenProbabilities}. */
export type SharpeningMode = 'elementwise' | 'normalised';

/** Probabilities are clipped to [ε, 1 − ε] before their logarithms are taken (1 − 1e-7 is still below 1 in float32). */
const CLIP = 1e-7;

const params = z
  .object({
    temperature: z
      .number()
      .positive()
      .default(0.1)
      .describe("Temperature T > 0: below 1 sharpens (MC-Net's 0.1), 1 leaves 'elementwise' unchanged, above 1 softens"),
    mode: z
      .enum(['elementwise', 'normalised'])
      .default('elementwise')
      .describe("'elementwise' as MC-Net (each probability against its complement), 'normalised' as MixMatch (over classes)"),
    stopGradient: z
      .boolean()
      .default(false)
      .describe(
        "Block gradients through the sharpened map. Off by default: MC-Net's and PyMIC's mutual consistency let the gradient flow into the decoder whose prediction is sharpened",
      ),
  })
  .strict();

const sharpenProbabilitiesInputs = { prob: { type: 'tensor', description: 'probabilities [N, ...spatial, C]' } } as const satisfies PortSpecs;
const sharpenProbabilitiesOutputs = { sharpened: { type: 'tensor', description: 'sharpened probabilities, same shape' } } as const satisfies PortSpecs;

/**
 * Sharpened probabilities, channels last [N, …, C]:
 * - 'elementwise' (Wu et al., MC-Net, MICCAI 2021; PyMIC's `sharpening`): s = p^{1/T} / (p^{1/T} + (1 − p)^{1/T})
 *   per element — each probability is pushed towards 0 or 1 against its own complement, so for more than two classes
 *   the result need not sum to 1. Computed as sigmoid((log p − log(1 − p)) / T), which is the same value without the
 *   underflow of p^{1/T} at small T.
 * - 'normalised' (Berthelot et al., MixMatch, NeurIPS 2019): s_c = p_c^{1/T} / Σ_k p_k^{1/T} = softmax(log p / T).
 * p is clipped to [1e-7, 1 − 1e-7] first. Differentiable by tfjs autodiff.
 */
export function sharpenProbabilities(prob: tf.Tensor, temperature: number, mode: SharpeningMode): tf.Tensor {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new MicflowError('invalid-argument', `sharpenProbabilities: temperature must be a positive number, got ${temperature}`);
  }
  return tf.tidy(() => {
    const p = tf.clipByValue(prob, CLIP, 1 - CLIP);
    if (mode === 'normalised') return tf.softmax(tf.div(tf.log(p), temperature), -1);
    return tf.sigmoid(tf.div(tf.sub(tf.log(p), tf.log1p(tf.neg(p))), temperature));
  });
}

/**
 * Sharpens a probability map with a temperature — MC-Net's soft pseudo labels (Wu, Xu, Ge, Cai, Zhang, "Semi-supervised
 * left atrium segmentation with mutual consistency training", MICCAI 2021; MC-Net+, Wu et al., MedIA 2022; PyMIC's
 * SSLMCNet) or MixMatch's class-normalised sharpening (Berthelot et al., NeurIPS 2019). Feed `sharpened` to
 * ConsistencyLoss as the target.
 */
export class SharpenProbabilities extends TensorStage<z.infer<typeof params>, typeof sharpenProbabilitiesInputs> {
  static readonly className = 'SharpenProbabilities';
  static readonly description = 'Temperature sharpening of probabilities (MC-Net elementwise or MixMatch normalised): soft pseudo labels';
  static readonly reference = 'Wu et al. Semi-supervised left atrium segmentation with mutual consistency training. MICCAI 2021';
  static readonly paramsSchema = params;
  static readonly inputs = sharpenProbabilitiesInputs;
  static readonly outputs = sharpenProbabilitiesOutputs;

  override compute(inputs: InputsOf<typeof sharpenProbabilitiesInputs>): Record<string, tf.Tensor> {
    const sharpened = sharpenProbabilities(inputs.prob, this.params.temperature, this.params.mode);
    return { sharpened: this.params.stopGradient ? stopGradient(sharpened) : sharpened };
  }
}
