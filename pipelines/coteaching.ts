import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, iterationAt, unetSizeOf } from './shared/data-profile.js';

/**
 * Co-teaching (Han, Yao, Yu, Niu, Xu, Hu, Tsang, Sugiyama, "Co-teaching: robust training of deep neural networks with
 * extremely noisy labels", NeurIPS 2018), per pixel as PyMIC's NLLCoTeaching: two networks of one architecture with
 * different initialisations see the same noisy batch; each ranks the batch's pixels by its own cross-entropy and keeps
 * the 1 − forget rate fraction with the smallest loss, and each network is trained with cross-entropy on the pixels its
 * partner kept (networks fit clean labels first, and two networks filter different errors). The forget rate ramps
 * linearly from 0 to 0.2 between 10% and 80% of the profile's iterations (60 and 480 of the bundled data's 600;
 * PyMIC's example: select ratio 0.8, ramp over iterations 1000–8000 of 10000; PyMIC ramps with the sigmoid shape, the
 * paper linearly). Cross-entropy only, as PyMIC. One
 * optimiser trains both; validation, checkpoints and evaluation use their averaged logits (PyMIC's BiNet). Data,
 * crops, network size and iterations are the noisy-dice-ce baseline's.
 *
 *   train_noisy ─ norm ─ flip ─ crop 64² ─ batch ─┬─ predA(netA) ─ lossMapA ─ selectForB ─┐ ┌─ ceA = CE(predA, mask) ─┐
 *                                                 └─ predB(netB) ─ lossMapB ─ selectForA ─┴×┴─ ceB = CE(predB, mask) ─┴─ loss
 *   forgetRate = LinearRampup(60 → 480, 0 → 0.2) → selectForA, selectForB         loss = ceA + ceB ─ optimise(netA, netB)
 *   nets = MultiNet(netA, netB, average) ─ validate(every 50) → best checkpoint ─ evaluate(best) on the test split
 *   droppedForA = DroppedFractionByClass(selectForA.mask, label): per class, the share of its pixels netA is not trained on
 */
export function coteachingPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}coteaching`,
    description: 'Co-teaching: two nets, each trained with CE on the pixels its partner finds small-loss (forget rate ramped to 0.2)',
    reference: 'Han et al. Co-teaching: Robust Training of Deep Neural Networks with Extremely Noisy Labels. NeurIPS 2018',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
      netA: stage('UNet2D', unetSizeOf(profile)),
      netB: stage('UNet2D', unetSizeOf(profile)),
      nets: stage('MultiNet', { inference: 'average' }, { nets: ['netA', 'netB'] }),
      predA: stage('Forward', {}, { net: 'netA', image: 'batch.image' }),
      predB: stage('Forward', {}, { net: 'netB', image: 'batch.image' }),
      lossMapA: stage('PixelCrossEntropy', {}, { prediction: 'predA.logits', label: 'batch.label' }),
      lossMapB: stage('PixelCrossEntropy', {}, { prediction: 'predB.logits', label: 'batch.label' }),
      forgetRate: stage('LinearRampup', { start: iterationAt(profile, 0.1), end: iterationAt(profile, 0.8), max: 0.2 }),
      selectForA: stage('SmallLossSelection', { scope: 'batch' }, { lossMaps: ['lossMapB'], forgetRate: 'forgetRate' }),
      selectForB: stage('SmallLossSelection', { scope: 'batch' }, { lossMaps: ['lossMapA'], forgetRate: 'forgetRate' }),
      // Diagnostic: per class, the share of its labelled pixels that netA's selection leaves out (terms droppedForA.<class>).
      droppedForA: stage('DroppedFractionByClass', { classNames: [...profile.classNames] }, { mask: 'selectForA.mask', label: 'batch.label' }),
      ceA: stage('CrossEntropyLoss', {}, { prediction: 'predA.logits', label: 'batch.label', mask: 'selectForA.mask' }),
      ceB: stage('CrossEntropyLoss', {}, { prediction: 'predB.logits', label: 'batch.label', mask: 'selectForB.mask' }),
      loss: stage('WeightedSum', {}, { terms: ['ceA', 'ceB'], weights: [1, 1] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['netA', 'netB'] }),
      ...profile.validationAndTestNodes({ net: 'nets' }),
    },
  });
}

export default coteachingPipeline(brainMr2d);
