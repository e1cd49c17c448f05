import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { dualBranchScribbleNodes } from './shared/dual-branch-scribble-nodes.js';

/**
 * Dual-branch network with dynamically mixed pseudo labels (Luo, Hu, Liao, Zhai, Song, Wang, Zhang,
 * "Scribble-supervised medical image segmentation via dual-branch network and dynamically mixed pseudo labels
 * supervision", MICCAI 2022; PyMIC's WSLDMPLS): PyMIC's UNet2D_DualBranch (one encoder, two independently initialised
 * decoders), each branch trained with partial cross-entropy on the scribbles (½ each) and with Dice against the argmax
 * of α·p₁ + (1 − α)·p₂, α ~ U(0, 1) drawn afresh every tick, no gradient through the pseudo label. The pseudo-label
 * weight is PyMIC's 0.1 × sigmoid ramp-up over the profile's ramp-up (the first 300 iterations on the bundled data),
 * times ½ per branch (so `rampup` reaches 0.05). Validation and test use the network's output, the mean of both
 * branches' logits.
 *
 *   batch ─┬─ image ─ predict(net, 2 heads) ─┬─ logits ──┬─ pce1(scribble) ─────────────────────────┐
 *          │                                 ├─ logits1 ─┴─ pce2(scribble) ─────────────────────────┤
 *          │                                 └─ prob, prob1 ─ mix(α) ─ label ─┬─ pseudo1(logits)  × rampup ┤
 *          │                                                                  └─ pseudo2(logits1) × rampup ┴─ loss
 *          └─ label ─ scribble ─ label, mask ─ pce1, pce2          loss ─ optimise(net)
 *
 * Same data, crops, encoder/decoder sizes, iterations (600 on the bundled data) and validation / checkpoint /
 * evaluation nodes as scribble-pce.
 */
export function scribbleDmplsPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-dmpls`,
    description: 'Dual-branch U-Net: partial CE per branch plus Dice against dynamically mixed argmax pseudo labels',
    reference: 'Luo et al. Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed Pseudo Labels Supervision. MICCAI 2022',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...dualBranchScribbleNodes(profile),
      pseudo1: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'mix.label' }),
      pseudo2: stage('DiceLoss', {}, { prediction: 'predict.logits1', label: 'mix.label' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.05 }),
      loss: stage('WeightedSum', {}, { terms: ['pce1', 'pce2', 'pseudo1', 'pseudo2'], weights: [0.5, 0.5, 'rampup', 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default scribbleDmplsPipeline(brainMr2d);
