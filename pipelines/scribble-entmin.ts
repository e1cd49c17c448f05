import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Scribble supervision with entropy minimisation (Grandvalet & Bengio, "Semi-supervised learning by entropy
 * minimization", NeurIPS 2004; PyMIC's WSLEntropyMinimization): partial cross-entropy on the scribbled pixels plus the
 * normalised prediction entropy over every pixel, weighted by a sigmoid ramp-up to 0.1 (PyMIC's `regularize_w`) over
 * the first 300 iterations, so the unannotated pixels are pushed towards confident predictions.
 *
 *   batch ─┬─ image ─ predict(net) ─ logits ─┬─ pce(label, mask) ───────────┐
 *          └─ label ─ scribble ─ label, mask ┘                             ├─ loss ─ optimise(net)
 *                                predict.logits ─ entropy ─ × rampup ─────┘
 *
 * Same data, crops, network, 600 iterations and validation / checkpoint / evaluation nodes as scribble-pce.
 */
export default pipeline({
  name: 'scribble-entmin',
  description: 'Scribble supervision: partial cross-entropy plus entropy minimisation on all pixels (ramped)',
  reference: 'Grandvalet & Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({
      source: 'train', batch: 'batch', dataset: { csv: 'train_scribble.csv', classes: 5, extraLabelValues: [5] },
      crop: { foregroundRatio: 0.8, foregroundLabels: [1, 2, 3, 4] },
    }),
    scribble: stage('PartialLabelMask', { unannotatedValue: 5 }, { label: 'batch.label' }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    pce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'scribble.label', mask: 'scribble.mask' }),
    entropy: stage('EntropyLoss', {}, { prediction: 'predict.logits' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['pce', 'entropy'], weights: [1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
