import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    alpha: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .default(null)
      .describe('A fixed mixing weight α in [0, 1]; null (default): α is drawn uniformly from [0, 1) every tick, as DMPLS and DMSPS'),
  })
  .strict();

const dynamicMixPseudoLabelInputs = {
  first: { type: 'tensor', description: "first branch's probabilities [N, ...spatial, C]" },
  second: { type: 'tensor', description: "second branch's probabilities, same shape" },
} as const satisfies PortSpecs;
const dynamicMixPseudoLabelOutputs = {
  label: { type: 'tensor', description: 'argmax class of the mixed probabilities [N, ...spatial] int32' },
  prob: { type: 'tensor', description: 'the mixed probabilities α·p1 + (1−α)·p2 [N, ...spatial, C] (soft pseudo label)' },
  alpha: { type: 'scalar', description: 'the mixing weight α of this tick' },
} as const satisfies PortSpecs;

/**
 * Dynamically mixed pseudo labels of a dual-branch network: with α ~ U(0, 1) drawn afresh every tick (from the tick's
 * seeded randomness), the mixed probability q = α·p₁ + (1 − α)·p₂ of the two branches' probability maps and its argmax
 * class per pixel, both without gradient. The hard label supervises both branches in DMPLS (Luo, Hu, Liao, Zhai, Song,
 * Wang, Zhang, "Scribble-supervised medical image segmentation via dual-branch network and dynamically mixed pseudo
 * labels supervision", MICCAI 2022; PyMIC's WSLDMPLS), the soft map q in DMSPS (Han et al., "DMSPS: Dynamically mixed
 * soft pseudo-label supervision for scribble-supervised medical image segmentation", Medical Image Analysis 2024;
 * PyMIC's WSLDMSPS). Mixing at a random ratio keeps either branch from simply copying the other.
 */
export class DynamicMixPseudoLabel extends TensorStage<z.infer<typeof params>, typeof dynamicMixPseudoLabelInputs> {
  static readonly className = 'DynamicMixPseudoLabel';
  static readonly description = 'Pseudo label from α·p1 + (1−α)·p2 with α ~ U(0,1) per tick: argmax label and soft map (no gradient)';
  static readonly reference = 'Luo et al. (DMPLS) MICCAI 2022; Han et al. (DMSPS) Medical Image Analysis 2024';
  static readonly paramsSchema = params;
  static readonly inputs = dynamicMixPseudoLabelInputs;
  static readonly outputs = dynamicMixPseudoLabelOutputs;

  /** The α of a tick: the fixed value, or a uniform draw from the tick's randomness. */
  alphaAt(tick: TickContext): number {
    return this.params.alpha ?? tick.random.uniform();
  }

  override compute(inputs: InputsOf<typeof dynamicMixPseudoLabelInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { first, second } = inputs;
    if (first.shape.join('x') !== second.shape.join('x')) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": first [${first.shape}] and second [${second.shape}] probabilities differ in shape`);
    }
    const alpha = this.alphaAt(tick);
    const prob = tf.add(tf.mul(stopGradient(first), alpha), tf.mul(stopGradient(second), 1 - alpha));
    return { label: tf.argMax(prob, prob.rank - 1), prob, alpha: tf.scalar(alpha) };
  }
}
