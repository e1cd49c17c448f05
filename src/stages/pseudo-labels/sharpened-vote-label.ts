import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { oneHotLabels } from '../../losses/one-hot.js';
import { withoutGradient } from '../../runtime/ops/without-gradient.js';
import { oneHotFor } from '../losses/label-one-hot.js';

const params = z
  .object({
    temperature: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe("Sharpening temperature T in (0, 1]: each class score s becomes s^(1/T) / (s^(1/T) + (1 − s)^(1/T)) (PyMIC's NLLDAST: 0.5)"),
  })
  .strict();

const sharpenedVoteLabelInputs = {
  probs: { type: 'tensor', list: true, description: 'voters: probabilities [N, ...spatial, C], each votes with its argmax' },
  label: { type: 'tensor', optional: true, description: 'a label map [N, ...spatial] int32 that votes too' },
} as const satisfies PortSpecs;
const sharpenedVoteLabelOutputs = { target: { type: 'tensor', description: 'sharpened soft label [N, ...spatial, C]' } } as const satisfies PortSpecs;

/**
 * A soft pseudo label voted by several predictions and, optionally, the given label: the mean of the one-hot argmax of
 * each probability map and the label's one-hot map, sharpened per class with temperature T,
 *   target_c = s_c^(1/T) / (s_c^(1/T) + (1 − s_c)^(1/T)),
 * each class on its own (not renormalised over classes), as the supplementary training of DAST (Yang et al., IEEE JBHI
 * 2022; PyMIC's NLLDAST: the clean and the noisy branch's argmax and the noisy label, T = 0.5, so a 2-of-3 vote gives
 * 0.8 and a 1-of-3 vote 0.2). No gradient: argmax and labels are constants.
 */
export class SharpenedVoteLabel extends TensorStage<z.infer<typeof params>, typeof sharpenedVoteLabelInputs> {
  static readonly className = 'SharpenedVoteLabel';
  static readonly description = 'Soft pseudo label: mean of argmax votes (and the given label), sharpened per class (no gradient)';
  static readonly reference =
    'Yang et al. Learning COVID-19 Pneumonia Lesion Segmentation from Imperfect Annotations via Divergence-Aware Selective Training. IEEE JBHI 2022';
  static readonly paramsSchema = params;
  static readonly inputs = sharpenedVoteLabelInputs;
  static readonly outputs = sharpenedVoteLabelOutputs;

  override compute(inputs: InputsOf<typeof sharpenedVoteLabelInputs>): Record<string, tf.Tensor> {
    const probs = inputs.probs;
    const shape = probs[0].shape;
    if (probs.some((p) => p.shape.join('x') !== shape.join('x'))) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": voters differ in shape: ${probs.map((p) => `[${p.shape}]`).join(', ')}`);
    }
    const classes = shape[shape.length - 1];
    const labelVote = inputs.label === undefined ? undefined : oneHotFor(probs[0], inputs.label, this.nodeName);
    const power = 1 / this.params.temperature;
    const target = withoutGradient(probs, (...voters) => {
      const votes = voters.map((p) => oneHotLabels(tf.argMax(p, -1), classes));
      if (labelVote) votes.push(labelVote);
      const share = votes.length === 1 ? votes[0] : tf.div(tf.addN(votes), votes.length);
      const up = tf.pow(share, power);
      return tf.div(up, tf.add(up, tf.pow(tf.sub(1, share), power)));
    });
    return { target };
  }
}
