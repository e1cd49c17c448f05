import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Entropy minimisation (Grandvalet & Bengio, "Semi-supervised learning by entropy minimization", NeurIPS 2004), as
 * PyMIC's SSLEntropyMinimization: the supervised Dice + CE on labelled batches plus the normalised prediction entropy on
 * unlabelled batches, weighted by a sigmoid ramp-up. 4 labelled training slices (~10%), the rest unlabelled.
 *
 *   batchL ─ predL(net) ─ dice, ce ─────────────┐
 *   batchU ─ predU(net) ─ entropy ─ × rampup ───┴─ loss ─ optimise(net)
 */
export default pipeline({
  name: 'entmin',
  description: 'Entropy minimisation on unlabelled slices with a ramped weight (10% labelled)',
  reference: 'Grandvalet & Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
    ...augmentedBatchBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predL: stage('Forward', {}, { net: 'net', image: 'batchL.image' }),
    predU: stage('Forward', {}, { net: 'net', image: 'batchU.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    entropy: stage('EntropyLoss', {}, { prediction: 'predU.logits' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'entropy'], weights: [1, 1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
