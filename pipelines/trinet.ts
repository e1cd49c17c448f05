import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, iterationAt, unetSizeOf } from './shared/data-profile.js';

/**
 * Tri-network (T. Zhang, L. Yu, N. Hu, S. Lv, S. Gu, "Robust medical image segmentation from non-expert annotations
 * with tri-network", MICCAI 2020), as PyMIC's NLLTriNet: three networks of one architecture with different
 * initialisations see the same noisy batch; each ranks the batch's pixels by its own cross-entropy and keeps the 1 −
 * forget rate fraction with the smallest loss, and each network is trained with cross-entropy on the pixels that both
 * other networks kept (their agreement is a stricter filter than one partner's). The forget rate ramps linearly from 0
 * to 0.1 between 10% and 80% of the profile's iterations (60 and 480 of the bundled data's 600; PyMIC's example: select
 * ratio 0.9, linear ramp over iterations 1000–8000 of 10000). Cross-entropy only and the three terms averaged, as
 * PyMIC. One optimiser trains all three; validation, checkpoints and evaluation use their averaged logits (PyMIC's
 * TriNet). Data, crops, network size and iterations are the noisy-dice-ce baseline's.
 *
 *                                                 ┌─ predA(netA) ─ lossMapA ─┐ selectForA = small(B) ∩ small(C) ─ ceA ─┐
 *   train_noisy ─ norm ─ flip ─ crop 64² ─ batch ─┼─ predB(netB) ─ lossMapB ─┼ selectForB = small(A) ∩ small(C) ─ ceB ─┼─ loss
 *                                                 └─ predC(netC) ─ lossMapC ─┘ selectForC = small(A) ∩ small(B) ─ ceC ─┘
 *   ceX = CE(predX, label, mask of selectForX);  loss = (ceA + ceB + ceC)/3 ─ optimise(netA, netB, netC)
 *   forgetRate = LinearRampup(60 → 480, 0 → 0.1) → every selectForX
 *   nets = MultiNet(netA, netB, netC, average) ─ validate(every 50) → best checkpoint ─ evaluate(best) on the test split
 */
export function trinetPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}trinet`,
    description: 'Tri-network: three nets, each trained with CE on the pixels both others find small-loss (forget rate ramped to 0.1)',
    reference: 'Zhang et al. Robust Medical Image Segmentation from Non-expert Annotations with Tri-network. MICCAI 2020',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
      netA: stage('UNet2D', unetSizeOf(profile)),
      netB: stage('UNet2D', unetSizeOf(profile)),
      netC: stage('UNet2D', unetSizeOf(profile)),
      nets: stage('MultiNet', { inference: 'average' }, { nets: ['netA', 'netB', 'netC'] }),
      predA: stage('Forward', {}, { net: 'netA', image: 'batch.image' }),
      predB: stage('Forward', {}, { net: 'netB', image: 'batch.image' }),
      predC: stage('Forward', {}, { net: 'netC', image: 'batch.image' }),
      lossMapA: stage('PixelCrossEntropy', {}, { prediction: 'predA.logits', label: 'batch.label' }),
      lossMapB: stage('PixelCrossEntropy', {}, { prediction: 'predB.logits', label: 'batch.label' }),
      lossMapC: stage('PixelCrossEntropy', {}, { prediction: 'predC.logits', label: 'batch.label' }),
      forgetRate: stage('LinearRampup', { start: iterationAt(profile, 0.1), end: iterationAt(profile, 0.8), max: 0.1 }),
      selectForA: stage('SmallLossSelection', { combine: 'intersection' }, { lossMaps: ['lossMapB', 'lossMapC'], forgetRate: 'forgetRate' }),
      selectForB: stage('SmallLossSelection', { combine: 'intersection' }, { lossMaps: ['lossMapA', 'lossMapC'], forgetRate: 'forgetRate' }),
      selectForC: stage('SmallLossSelection', { combine: 'intersection' }, { lossMaps: ['lossMapA', 'lossMapB'], forgetRate: 'forgetRate' }),
      ceA: stage('CrossEntropyLoss', {}, { prediction: 'predA.logits', label: 'batch.label', mask: 'selectForA.mask' }),
      ceB: stage('CrossEntropyLoss', {}, { prediction: 'predB.logits', label: 'batch.label', mask: 'selectForB.mask' }),
      ceC: stage('CrossEntropyLoss', {}, { prediction: 'predC.logits', label: 'batch.label', mask: 'selectForC.mask' }),
      loss: stage('WeightedSum', {}, { terms: ['ceA', 'ceB', 'ceC'], weights: [1 / 3, 1 / 3, 1 / 3] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['netA', 'netB', 'netC'] }),
      ...profile.validationAndTestNodes({ net: 'nets' }),
    },
  });
}

export default trinetPipeline(brainMr2d);
