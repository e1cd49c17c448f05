import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    threshold: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .default(null)
      .describe('Pixels whose highest class probability is below this (0–1) get mask 0 (FixMatch-style confidence threshold); null: every pixel is kept'),
  })
  .strict();

const argmaxPseudoLabelInputs = { prob: { type: 'tensor', description: 'probabilities [N, ...spatial, C]' } } as const satisfies PortSpecs;
const argmaxPseudoLabelOutputs = {
  label: { type: 'tensor', description: 'argmax class per pixel [N, ...spatial] int32' },
  mask: { type: 'tensor', description: '1 where the confidence reaches the threshold (all 1 without one) [N, ...spatial]' },
  confidence: { type: 'tensor', description: 'highest class probability per pixel [N, ...spatial]' },
} as const satisfies PortSpecs;

/**
 * Hard pseudo labels from a probability map: the argmax class per pixel, a confidence mask and the confidence itself,
 * all without gradient (Lee, "Pseudo-label", ICML workshop 2013; the cross pseudo labels of CPS, Chen et al. CVPR 2021;
 * confidence thresholding as FixMatch, Sohn et al. NeurIPS 2020). Feed `label` (and `mask`) to a labelled loss.
 */
export class ArgmaxPseudoLabel extends TensorStage<z.infer<typeof params>, typeof argmaxPseudoLabelInputs> {
  static readonly className = 'ArgmaxPseudoLabel';
  static readonly description = 'Argmax pseudo labels, confidence and a confidence-threshold mask (no gradient)';
  static readonly reference = 'Lee 2013 (Pseudo-Label); Chen et al., CPS, CVPR 2021; Sohn et al., FixMatch, NeurIPS 2020';
  static readonly paramsSchema = params;
  static readonly inputs = argmaxPseudoLabelInputs;
  static readonly outputs = argmaxPseudoLabelOutputs;

  override compute(inputs: InputsOf<typeof argmaxPseudoLabelInputs>): Record<string, tf.Tensor> {
    const prob = stopGradient(inputs.prob);
    const classAxis = prob.rank - 1;
    const confidence = tf.max(prob, classAxis);
    const threshold = this.params.threshold;
    return {
      label: tf.argMax(prob, classAxis),
      mask: threshold === null ? tf.onesLike(confidence) : tf.cast(tf.greaterEqual(confidence, threshold), 'float32'),
      confidence,
    };
  }
}
