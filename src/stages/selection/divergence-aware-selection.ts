import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type StageState, type TickContext } from '../../graph/stage.js';
import { storedTensorOf, tensorOfStored } from '../../checkpoints/stored-tensor.js';
import { withoutGradient } from '../../runtime/ops/without-gradient.js';
import { oneHotFor } from '../losses/label-one-hot.js';

const params = z
  .object({
    rankLength: z.number().int().min(2).default(20).describe("How many recent ticks each criterion is ranked among (PyMIC's `dast_rank_length`)"),
    selectRatio: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.2)
      .describe("Fraction of the ranking at either end that opens a gate, in (0, 1) (PyMIC's `dast_select_ratio`)"),
    divergenceScale: z
      .number()
      .positive()
      .default(16)
      .describe('The divergence weight is exp(−divergenceScale · symmetric KL in nats) (16 in PyMIC)'),
  })
  .strict();

type DivergenceAwareSelectionParams = z.infer<typeof params>;

const divergenceAwareSelectionInputs = {
  cleanBranchProb: { type: 'tensor', description: "the clean branch's probabilities on the noisy batch [N, ...spatial, C]" },
  noisyBranchProb: { type: 'tensor', description: "the noisy branch's probabilities on the noisy batch, same shape" },
  label: { type: 'tensor', description: 'the noisy batch labels [N, ...spatial] int32' },
} as const satisfies PortSpecs;
const divergenceAwareSelectionOutputs = {
  consistencyGate: { type: 'scalar', description: '1 when the divergence consistency term applies this tick, else 0' },
  selfTrainingGate: { type: 'scalar', description: '1 when the voted pseudo-label term applies this tick, else 0' },
  cleanCriterion: { type: 'scalar', description: "divergence-weighted CE of the clean branch (PyMIC's loss_n)" },
  noisyCriterion: { type: 'scalar', description: "divergence-weighted CE of the noisy branch (PyMIC's loss_c)" },
} as const satisfies PortSpecs;

/** Per-pixel cross-entropy with PyMIC's guard, −Σ_c y_c log(0.999 p_c + 5e-4). */
function guardedCrossEntropy(prob: tf.Tensor, oneHot: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(tf.mul(prob, 0.999), 5e-4))), -1));
}

/** Per-pixel KL(q ‖ p) = Σ_c q (log(q + 1e-16) − log(p + 1e-16)), as PyMIC's DAST ConsistLoss.kl_div_map. */
function klMap(q: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(q, tf.sub(tf.log(tf.add(q, 1e-16)), tf.log(tf.add(p, 1e-16)))), -1);
}

/**
 * The sample-selection step of divergence-aware selective training (DAST: S. Yang, G. Wang, H. Sun, X. Luo, P. Sun,
 * K. Li, Q. Wang, S. Zhang, "Learning COVID-19 pneumonia lesion segmentation from imperfect annotations via
 * divergence-aware selective training", IEEE JBHI 2022; PyMIC's NLLDAST). A dual-branch network has a clean branch,
 * supervised on a trusted clean subset, and a noisy branch, supervised on the noisy subset. On each noisy batch, with
 * y the given labels, D the per-pixel symmetric KL divergence ½ KL(clean ‖ noisy) + ½ KL(noisy ‖ clean) of the two
 * branches and w = exp(−16 D):
 *   cleanCriterion = mean(CE(clean branch, y) · w)   (PyMIC's loss_n),
 *   noisyCriterion = mean(CE(noisy branch, y) · w)   (PyMIC's loss_c),
 * CE with PyMIC's guard −log(0.999 p + 5e-4). Each criterion is ranked among its values of the last `rankLength`
 * ticks (PyMIC's Rank queue: the rank of the newest value is its position in the sorted queue, an older equal value
 * counting as smaller; −1 while the queue is still filling). When cleanCriterion < noisyCriterion:
 *   consistencyGate = 1 if noisyCriterion ranks at or above rankLength · (1 − selectRatio) (severe-noise
 *                     suppression: the divergence-based consistency term joins the loss),
 *   selfTrainingGate = 1 if cleanCriterion ranks at or below rankLength · selectRatio (supplementary training: the
 *                     clean branch learns a voted pseudo label on the noisy batch);
 * both are 0 otherwise. The gates multiply those terms (WeightedSum weights). Everything here is without gradient;
 * the queues are this node's state, kept as tensors (no value is read back), and evaluating the node twice in one
 * iteration ranks against the same history.
 */
export class DivergenceAwareSelection extends TensorStage<DivergenceAwareSelectionParams, typeof divergenceAwareSelectionInputs> {
  static readonly className = 'DivergenceAwareSelection';
  static readonly description = 'DAST: divergence-weighted criteria of a dual-branch net on a noisy batch, ranked over recent ticks into two 0/1 gates';
  static readonly reference =
    'Yang et al. Learning COVID-19 Pneumonia Lesion Segmentation from Imperfect Annotations via Divergence-Aware Selective Training. IEEE JBHI 2022';
  static readonly paramsSchema = params;
  static readonly inputs = divergenceAwareSelectionInputs;
  static readonly outputs = divergenceAwareSelectionOutputs;

  /** The last `rankLength` committed values, oldest first: row 0 cleanCriterion, row 1 noisyCriterion. */
  private history?: tf.Tensor2D;
  /** How many values have been committed (capped at rankLength). */
  private filled = 0;
  /** This iteration's values, committed when the next iteration starts. */
  private pending?: { iteration: number; values: tf.Tensor1D };

  override compute(inputs: InputsOf<typeof divergenceAwareSelectionInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const length = this.params.rankLength;
    this.history ??= tf.keep(tf.zeros([2, length]) as tf.Tensor2D);
    if (this.pending && this.pending.iteration !== tick.iteration) this.commit();
    const oneHot = oneHotFor(inputs.noisyBranchProb, inputs.label, this.nodeName);
    const selected = withoutGradient([inputs.cleanBranchProb, inputs.noisyBranchProb], (clean, noisy) => {
      if (clean.shape.join('x') !== noisy.shape.join('x')) {
        throw new MicflowError('invalid-shape', `node "${this.nodeName}": branch probabilities differ in shape: [${clean.shape}] and [${noisy.shape}]`);
      }
      const divergence = tf.mul(tf.add(klMap(clean, noisy), klMap(noisy, clean)), 0.5);
      const weight = tf.exp(tf.mul(divergence, -this.params.divergenceScale));
      const cleanCriterion = tf.mean(tf.mul(guardedCrossEntropy(clean, oneHot), weight));
      const noisyCriterion = tf.mean(tf.mul(guardedCrossEntropy(noisy, oneHot), weight));
      const values = tf.stack([cleanCriterion, noisyCriterion]);
      let cleanRank: tf.Tensor = tf.scalar(-1);
      let noisyRank: tf.Tensor = tf.scalar(-1);
      if (this.filled >= length) {
        // The queue drops its oldest value and takes the new one: the rank among the newest length − 1 values and itself.
        const others = tf.slice(this.history!, [0, 1], [2, length - 1]);
        [cleanRank, noisyRank] = tf.unstack(tf.sum(tf.cast(tf.lessEqual(others, tf.reshape(values, [2, 1])), 'float32'), 1));
      }
      this.pending?.values.dispose();
      this.pending = { iteration: tick.iteration, values: tf.keep(tf.clone(values) as tf.Tensor1D) };
      const cleanSmaller = tf.less(cleanCriterion, noisyCriterion);
      const gate = (condition: tf.Tensor) => tf.cast(tf.logicalAnd(cleanSmaller, condition), 'float32');
      const selectRatio = this.params.selectRatio;
      return tf.stack([
        gate(tf.greaterEqual(noisyRank, length * (1 - selectRatio))),
        gate(tf.lessEqual(cleanRank, length * selectRatio)),
        cleanCriterion,
        noisyCriterion,
      ]);
    });
    const [consistencyGate, selfTrainingGate, cleanCriterion, noisyCriterion] = tf.unstack(selected);
    return { consistencyGate, selfTrainingGate, cleanCriterion, noisyCriterion };
  }

  /** The queue, its fill count and the iteration's uncommitted values, for a resumed run. */
  async saveState(): Promise<StageState> {
    return {
      values: { filled: this.filled, pendingIteration: this.pending?.iteration ?? null },
      tensors: {
        ...(this.history ? { history: await storedTensorOf(this.history) } : {}),
        ...(this.pending ? { pending: await storedTensorOf(this.pending.values) } : {}),
      },
    };
  }

  restoreState(state: StageState): void {
    this.dispose();
    const values = state.values as { filled: number; pendingIteration: number | null };
    this.filled = values.filled;
    const { history, pending } = state.tensors ?? {};
    if (history) this.history = tf.keep(tensorOfStored(history) as tf.Tensor2D);
    if (pending && values.pendingIteration !== null) this.pending = { iteration: values.pendingIteration, values: tf.keep(tensorOfStored(pending) as tf.Tensor1D) };
  }

  /** Appends the pending values to the history, dropping the oldest. */
  private commit(): void {
    const length = this.params.rankLength;
    const pending = this.pending!;
    const previous = this.history!;
    this.history = tf.keep(tf.concat([tf.slice(previous, [0, 1], [2, length - 1]), tf.reshape(pending.values, [2, 1])], 1) as tf.Tensor2D);
    previous.dispose();
    pending.values.dispose();
    this.pending = undefined;
    this.filled = Math.min(this.filled + 1, length);
  }

  override dispose(): void {
    this.history?.dispose();
    this.pending?.values.dispose();
    this.history = undefined;
    this.pending = undefined;
  }
}
