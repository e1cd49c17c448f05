import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';
import { withoutGradient } from '../../runtime/ops/without-gradient.js';
import { oneHotFor } from '../losses/label-one-hot.js';

const params = z
  .object({
    start: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('First iteration that flags pixels; before it the mask is all 0 (the network has to learn something first)'),
  })
  .strict();

const confidentLearningMaskInputs = {
  prob: { type: 'tensor', description: 'predicted probabilities [N, ...spatial, C] (used without gradient)' },
  label: { type: 'tensor', description: 'the given (possibly noisy) label map [N, ...spatial] int32' },
} as const satisfies PortSpecs;
const confidentLearningMaskOutputs = {
  mask: { type: 'tensor', description: '1 where the label is suspected wrong [N, ...spatial]' },
  flagged: { type: 'scalar', description: 'fraction of pixels flagged' },
} as const satisfies PortSpecs;

/**
 * Pixels whose label confident learning finds suspect, as a 0/1 mask for SLSRLoss's `noisyMask` (M. Zhang, J. Gao et
 * al., "Characterizing label errors: confident learning for noisy-labeled image segmentation", MICCAI 2020). Confident
 * learning (Northcutt, Jiang, Chuang, "Confident learning: estimating uncertainty in dataset labels", JAIR 2021) sets
 * a threshold per class, t_j = the mean predicted probability of class j over the pixels labelled j, counts a pixel
 * labelled i under the class j* = argmax { p_j : p_j ≥ t_j } (its confident joint entry C[i][j*]; a pixel with no class
 * above its threshold is not counted) and flags the off-diagonal entries, j* ≠ i (the C_{ỹ,y*} method).
 *
 * Here this runs online on each training batch, from the stop-gradient probabilities of the network being trained,
 * with thresholds over the batch's pixels (a class absent from the batch's labels cannot be a confident alternative).
 * The paper and PyMIC's NLLCLSLSR instead run it once, offline, with a network already trained on the noisy labels,
 * over the whole training set and with cleanlab's 'both' pruning rule; `start` delays the flags until the network has
 * learnt something. `flagged` reports the fraction of pixels flagged.
 */
export class ConfidentLearningMask extends TensorStage<z.infer<typeof params>, typeof confidentLearningMaskInputs> {
  static readonly className = 'ConfidentLearningMask';
  static readonly description = 'Mask of pixels whose label confident learning flags (per-class thresholds, confident joint off-diagonal), no gradient';
  static readonly reference =
    'Zhang, Gao et al. Characterizing Label Errors: Confident Learning for Noisy-Labeled Image Segmentation. MICCAI 2020; Northcutt et al. Confident Learning. JAIR 2021';
  static readonly paramsSchema = params;
  static readonly inputs = confidentLearningMaskInputs;
  static readonly outputs = confidentLearningMaskOutputs;

  override compute(inputs: InputsOf<typeof confidentLearningMaskInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { prob, label } = inputs;
    const oneHot = oneHotFor(prob, label, this.nodeName);
    if (tick.iteration < this.params.start) return { mask: tf.zeros(label.shape), flagged: tf.scalar(0) };
    const classes = prob.shape[prob.rank - 1];
    const mask = withoutGradient([prob], (probabilities) => {
      const p = tf.reshape(probabilities, [-1, classes]);
      const y = tf.reshape(oneHot, [-1, classes]);
      const labelled = tf.sum(y, 0);
      const meanSelfConfidence = tf.div(tf.sum(tf.mul(y, p), 0), tf.maximum(labelled, 1));
      const thresholds = tf.where(tf.greater(labelled, 0), meanSelfConfidence, tf.fill([classes], 2)); // 2: never reached
      const confident = tf.greaterEqual(p, thresholds);
      const confidentClass = tf.argMax(tf.where(confident, p, tf.fill(p.shape, -1)), 1);
      const flagged = tf.logicalAnd(tf.any(confident, 1), tf.notEqual(confidentClass, tf.argMax(y, 1)));
      return tf.reshape(tf.cast(flagged, 'float32'), label.shape);
    });
    return { mask, flagged: tf.mean(mask) };
  }
}
