import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Cross pseudo supervision (Chen, Yuan, Zeng, Wang, "Semi-supervised semantic segmentation with cross pseudo
 * supervision", CVPR 2021), as PyMIC's SSLCPS: two networks of one architecture with different initialisations; on
 * unlabelled batches each is trained with cross-entropy against the other's argmax pseudo labels. One optimiser trains
 * both, so every node runs once per tick. The profile's labelled list (~10%: 4 slices of the bundled data), the rest
 * unlabelled.
 *
 *   batchL ─┬─ predLA(netA) ─ diceA, ceA ──────────────────────┐
 *           └─ predLB(netB) ─ diceB, ceB ──────────────────────┤
 *   batchU ─┬─ predUA(netA) ─ pseudoA ─┐  ┌─ cpsA = CE(predUA, pseudoB)
 *           └─ predUB(netB) ─ pseudoB ─┴──┴─ cpsB = CE(predUB, pseudoA) ─ × rampup ─ loss ─ optimise(netA, netB)
 */
export function cpsPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}cps`,
    description: 'Cross pseudo supervision: two nets teach each other with argmax pseudo labels (10% labelled)',
    reference: 'Chen et al. Semi-supervised semantic segmentation with cross pseudo supervision. CVPR 2021',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      netA: stage('UNet2D', unetSizeOf(profile)),
      netB: stage('UNet2D', unetSizeOf(profile)),
      predLA: stage('Forward', {}, { net: 'netA', image: 'batchL.image' }),
      predLB: stage('Forward', {}, { net: 'netB', image: 'batchL.image' }),
      predUA: stage('Forward', {}, { net: 'netA', image: 'batchU.image' }),
      predUB: stage('Forward', {}, { net: 'netB', image: 'batchU.image' }),
      diceA: stage('DiceLoss', {}, { prediction: 'predLA.logits', label: 'batchL.label' }),
      ceA: stage('CrossEntropyLoss', {}, { prediction: 'predLA.logits', label: 'batchL.label' }),
      diceB: stage('DiceLoss', {}, { prediction: 'predLB.logits', label: 'batchL.label' }),
      ceB: stage('CrossEntropyLoss', {}, { prediction: 'predLB.logits', label: 'batchL.label' }),
      pseudoA: stage('ArgmaxPseudoLabel', {}, { prob: 'predUA.prob' }),
      pseudoB: stage('ArgmaxPseudoLabel', {}, { prob: 'predUB.prob' }),
      cpsA: stage('CrossEntropyLoss', {}, { prediction: 'predUA.logits', label: 'pseudoB.label' }),
      cpsB: stage('CrossEntropyLoss', {}, { prediction: 'predUB.logits', label: 'pseudoA.label' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.1 }),
      loss: stage('WeightedSum', {}, {
        terms: ['diceA', 'ceA', 'diceB', 'ceB', 'cpsA', 'cpsB'],
        weights: [1, 1, 1, 1, 'rampup', 'rampup'],
      }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['netA', 'netB'] }),
      ...profile.validationAndTestNodes({ net: 'netA' }),
    },
  });
}

export default cpsPipeline(brainMr2d);
