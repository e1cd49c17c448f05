import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Entropy minimisation (Grandvalet & Bengio, "Semi-supervised learning by entropy minimization", NeurIPS 2004), as
 * PyMIC's SSLEntropyMinimization: the supervised Dice + CE on labelled batches plus the normalised prediction entropy on
 * unlabelled batches, weighted by a sigmoid ramp-up. The profile's labelled list (~10%: 4 slices of the bundled data),
 * the rest unlabelled.
 *
 *   batchL ─ predL(net) ─ dice, ce ─────────────┐
 *   batchU ─ predU(net) ─ entropy ─ × rampup ───┴─ loss ─ optimise(net)
 */
export function entminPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}entmin`,
    description: 'Entropy minimisation on unlabelled slices with a ramped weight (10% labelled)',
    reference: 'Grandvalet & Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      net: stage('UNet2D', unetSizeOf(profile)),
      predL: stage('Forward', {}, { net: 'net', image: 'batchL.image' }),
      predU: stage('Forward', {}, { net: 'net', image: 'batchU.image' }),
      dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      entropy: stage('EntropyLoss', {}, { prediction: 'predU.logits' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.1 }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'entropy'], weights: [1, 1, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default entminPipeline(brainMr2d);
