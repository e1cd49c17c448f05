import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Scribble supervision with the Mumford-Shah loss (Kim & Ye, "Mumford-Shah loss functional for image segmentation with
 * deep learning", IEEE TIP 2019; PyMIC's WSLMumfordShah): partial cross-entropy on the scribbled pixels plus the
 * piecewise-constant Mumford-Shah energy of the soft segmentation on the image (intensity variance inside each soft
 * region plus its boundary length, L1 penalty, λ = 1), weighted by a sigmoid ramp-up to 0.1 over the first 300
 * iterations.
 *
 *   batch ─┬─ image ─┬─ predict(net) ─ logits ─┬─ pce ──────────────────────────────────────┐
 *          │         └─────────────────────────┴─ mumfordShah(logits, image) ─ × rampup ─┴─ loss ─ optimise(net)
 *          └─ label ─ scribble ─ label, mask ─ pce
 *
 * Same data, crops, network, 600 iterations and validation / checkpoint / evaluation nodes as scribble-pce.
 */
export default pipeline({
  name: 'scribble-mumford-shah',
  description: 'Scribble supervision: partial cross-entropy plus the Mumford-Shah loss on the image (ramped)',
  reference: 'Kim & Ye. Mumford-Shah Loss Functional for Image Segmentation With Deep Learning. IEEE TIP 2019',
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
    mumfordShah: stage('MumfordShahLoss', { penalty: 'l1', lambda: 1 }, { prediction: 'predict.logits', image: 'batch.image' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['pce', 'mumfordShah'], weights: [1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
