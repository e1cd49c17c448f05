import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { classCountOf, type DataProfile2D } from './shared/data-profile.js';
import { dualBranchScribbleNodes } from './shared/dual-branch-scribble-nodes.js';

/**
 * DMSPS: dynamically mixed soft pseudo-label supervision with uncertainty-filtered seed expansion (Han, Luo, Xie, Liao,
 * Zhang, Song, Wang, Zhang, "DMSPS: Dynamically mixed soft pseudo-label supervision for scribble-supervised medical
 * image segmentation", Medical Image Analysis 2024; PyMIC's WSLDMSPS). PyMIC's UNet2D_DualBranch; each branch is
 * trained with
 *   - partial cross-entropy on the scribbles (½ each);
 *   - cross-entropy against the soft mixed pseudo label q = α·p₁ + (1 − α)·p₂, α ~ U(0, 1) per tick, no gradient
 *     through q (DMSPS's training loss, as PyMIC's WSLDMSPS);
 *   - cross-entropy against the expanded seeds: the argmax of the branches' mean probability on the pixels whose
 *     entropy is below 0.1 ln C (PyMIC's `dmsps_uncertainty_threshold` 0.1 on the entropy normalised by ln C).
 * PyMIC and the paper expand the seeds offline, after a first training, and retrain on them (also keeping only each
 * class's largest connected component per slice); one training graph cannot hold two trainings, so here the
 * uncertainty filter runs online, every tick, on the current prediction, without the connected-component step.
 * The two pseudo terms of each branch weigh ½ × a sigmoid ramp-up to 1 over the profile's ramp-up (the first 300
 * iterations on the bundled data; `rampup` reaches
 * 0.5). PyMIC's default weight 8 multiplies a cross-entropy that it computes on softmax(softmax(logits)) (its
 * CrossEntropyLoss applies a softmax to the probabilities it is given), whose gradient is much smaller; the loss here
 * takes the logits once, so 1 is used. Validation and test use the network's output, the mean of both branches' logits.
 *
 *   batch ─┬─ image ─ predict(net, 2 heads) ─┬─ logits ──┬─ pce1(scribble) ────────────────────────────┐
 *          │                                 ├─ logits1 ─┴─ pce2(scribble) ────────────────────────────┤
 *          │                                 ├─ prob, prob1 ─ mix(α) ─ prob ─ soft1, soft2 × rampup ───┤
 *          │                                 └─ meanProb ─┬─ uncertainty ─ certain (< 0.1 ln C) ─ mask ┐  │
 *          │                                              └─ seeds (argmax) ─ label ─ seed1, seed2 × rampup ┴─ loss
 *          └─ label ─ scribble ─ label, mask ─ pce1, pce2          loss ─ optimise(net)
 *   (soft1, seed1 read logits; soft2, seed2 read logits1)
 *
 * Same data, crops, encoder/decoder sizes, iterations (600 on the bundled data) and validation / checkpoint /
 * evaluation nodes as scribble-pce.
 */
export function scribbleDmspsPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-dmsps`,
    description: 'Dual-branch U-Net: partial CE, soft dynamically mixed pseudo labels and uncertainty-filtered expanded seeds',
    reference: 'Han et al. DMSPS: Dynamically mixed soft pseudo-label supervision for scribble-supervised medical image segmentation. Medical Image Analysis 2024',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...dualBranchScribbleNodes(profile),
      soft1: stage('SoftCrossEntropyLoss', {}, { prediction: 'predict.logits', target: 'mix.prob' }),
      soft2: stage('SoftCrossEntropyLoss', {}, { prediction: 'predict.logits1', target: 'mix.prob' }),
      uncertainty: stage('PredictiveEntropy', {}, { prob: 'predict.meanProb' }),
      certain: stage('UncertaintyMask', { classes: classCountOf(profile), threshold: 0.1, rampedThreshold: 0.1 }, { uncertainty: 'uncertainty.entropy' }),
      seeds: stage('ArgmaxPseudoLabel', {}, { prob: 'predict.meanProb' }),
      seed1: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'seeds.label', mask: 'certain.mask' }),
      seed2: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits1', label: 'seeds.label', mask: 'certain.mask' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.5 }),
      loss: stage('WeightedSum', {}, {
        terms: ['pce1', 'pce2', 'soft1', 'soft2', 'seed1', 'seed2'],
        weights: [0.5, 0.5, 'rampup', 'rampup', 'rampup', 'rampup'],
      }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default scribbleDmspsPipeline(brainMr2d);
