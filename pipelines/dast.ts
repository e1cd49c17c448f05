import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, iterationAt, unetSizeOf } from './shared/data-profile.js';

/**
 * Divergence-aware selective training (S. Yang, G. Wang, H. Sun, X. Luo, P. Sun, K. Li, Q. Wang, S. Zhang, "Learning
 * COVID-19 pneumonia lesion segmentation from imperfect annotations via divergence-aware selective training", IEEE
 * JBHI 2022), as PyMIC's NLLDAST. The training list is split into its clean and its noisy cases
 * (train_noisy_clean_split.csv, column `noisy`), and a dual-branch U-Net (shared encoder, two decoders) learns the
 * clean cases with its clean branch and the noisy cases with its noisy branch (Dice + CE each, averaged: PyMIC uses the
 * configured supervised loss, here the baseline's). On the noisy batch, DivergenceAwareSelection weighs each branch's
 * cross-entropy by exp(−16 · the branches' symmetric KL divergence) and ranks both criteria among their last 20 values:
 * when the clean branch fits the noisy labels better and the noisy branch's criterion is among the highest 20%, the
 * divergence term ½ KL(clean ‖ noisy) + ½ KL(noisy ‖ clean) (each direction training one branch) joins the loss
 * (severe-noise suppression); when the clean branch's is among the lowest 20%, the clean branch learns, by mean
 * absolute error, the sharpened vote of both branches' argmax and the noisy label (supplementary training). Both
 * terms are weighted 0.1 × a sigmoid ramp-up over 10%–80% of the profile's iterations (60–480 of the bundled data's
 * 600; PyMIC's example: 1000–8000 of 10000).
 * Validation, checkpoints and evaluation use the clean branch (PyMIC's output_mode first). Clean and noisy batches of
 * 4 each (PyMIC runs them through the network as one batch of 8; here they are two forward passes, so batch-norm
 * statistics are per batch). Crops, network size and iterations are the noisy-dice-ce baseline's.
 *
 *   clean cases ─ norm ─ flip ─ crop ─ batchClean ─ headsClean(net) ─ clean branch ─ diceClean, ceClean ────────────┐
 *   noisy cases ─ norm ─ flip ─ crop ─ batchNoisy ─ headsNoisy(net) ─┬─ noisy branch ─ diceNoisy, ceNoisy ──────────┤
 *                                                                    ├─ select(both branches, label) ─ gates        ├─ loss
 *                                                                    ├─ divergence = ½ KL + ½ KL ─ × gate = dbc ─────┤
 *                                                                    └─ vote(argmaxes, label) ─ MAE(clean branch)    │
 *                                                                                               ─ × gate = st ───────┘
 *   loss = ½ (diceClean + ceClean + diceNoisy + ceNoisy) + rampup · (dbc + st) ─ optimise(net)
 *   net = DualBranchUNet2D(output: clean branch) ─ validate(every 50) → best checkpoint ─ evaluate(best)
 */
export function dastPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}dast`,
    description: 'DAST: dual-branch net on a clean/noisy split, divergence-aware gates add a consistency and a voted pseudo-label term',
    reference: 'Yang et al. Learning COVID-19 Pneumonia Lesion Segmentation from Imperfect Annotations via Divergence-Aware Selective Training. IEEE JBHI 2022',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({
        source: 'clean', batch: 'batchClean', dataset: { csv: 'train_noisy_clean_split.csv', where: { noisy: '0' } },
        crop: { foregroundRatio: 0.8 },
      }),
      ...profile.trainBranch({
        source: 'noisy', batch: 'batchNoisy', dataset: { csv: 'train_noisy_clean_split.csv', where: { noisy: '1' } },
        crop: { foregroundRatio: 0.8 },
      }),
      net: stage('DualBranchUNet2D', { ...unetSizeOf(profile), outputMode: 'first' }),
      headsClean: stage('ForwardHeads', { heads: 2 }, { net: 'net', image: 'batchClean.image' }),
      headsNoisy: stage('ForwardHeads', { heads: 2 }, { net: 'net', image: 'batchNoisy.image' }),
      diceClean: stage('DiceLoss', {}, { prediction: 'headsClean.logits', label: 'batchClean.label' }),
      ceClean: stage('CrossEntropyLoss', {}, { prediction: 'headsClean.logits', label: 'batchClean.label' }),
      diceNoisy: stage('DiceLoss', {}, { prediction: 'headsNoisy.logits1', label: 'batchNoisy.label' }),
      ceNoisy: stage('CrossEntropyLoss', {}, { prediction: 'headsNoisy.logits1', label: 'batchNoisy.label' }),
      select: stage(
        'DivergenceAwareSelection',
        { rankLength: 20, selectRatio: 0.2, divergenceScale: 16 },
        { cleanBranchProb: 'headsNoisy.prob', noisyBranchProb: 'headsNoisy.prob1', label: 'batchNoisy.label' },
      ),
      klNoisyTowardsClean: stage('ConsistencyLoss', { kind: 'kl' }, { prob: 'headsNoisy.prob1', target: 'headsNoisy.prob' }),
      klCleanTowardsNoisy: stage('ConsistencyLoss', { kind: 'kl' }, { prob: 'headsNoisy.prob', target: 'headsNoisy.prob1' }),
      divergence: stage('WeightedSum', {}, { terms: ['klNoisyTowardsClean', 'klCleanTowardsNoisy'], weights: [0.5, 0.5] }),
      dbc: stage('WeightedSum', {}, { terms: ['divergence'], weights: ['select.consistencyGate'] }),
      vote: stage('SharpenedVoteLabel', { temperature: 0.5 }, { probs: ['headsNoisy.prob', 'headsNoisy.prob1'], label: 'batchNoisy.label' }),
      voteMae: stage('ConsistencyLoss', { kind: 'mae' }, { prob: 'headsNoisy.prob', target: 'vote.target' }),
      st: stage('WeightedSum', {}, { terms: ['voteMae'], weights: ['select.selfTrainingGate'] }),
      rampup: stage('SigmoidRampup', { start: iterationAt(profile, 0.1), end: iterationAt(profile, 0.8), max: 0.1 }),
      loss: stage('WeightedSum', {}, {
        terms: ['diceClean', 'ceClean', 'diceNoisy', 'ceNoisy', 'dbc', 'st'],
        weights: [0.5, 0.5, 0.5, 0.5, 'rampup', 'rampup'],
      }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default dastPipeline(brainMr2d);
