import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Scribble supervision with the gated CRF loss (Obukhov, Georgoulis, Dai, Van Gool, "Gated CRF loss for weakly
 * supervised semantic image segmentation", arXiv:1906.04651, 2019; PyMIC's WSLGatedCRF): partial cross-entropy on
 * the scribbled pixels plus a Potts CRF energy that asks pixels close in position and intensity to agree, over an
 * 11×11 neighbourhood (radius 5) with PyMIC's two kernels (weight 1, xy bandwidth 5, intensity bandwidth 0.1 on the
 * normalised image; weight 1, xy bandwidth 3), weighted by a sigmoid ramp-up to 0.1 over the first 300 iterations.
 *
 *   batch ─┬─ image ─┬─ predict(net) ─ logits ─┬─ pce ──────────────────────────────┐
 *          │         └─────────────────────────┴─ crf(logits, image) ─ × rampup ─┴─ loss ─ optimise(net)
 *          └─ label ─ scribble ─ label, mask ─ pce
 *
 * Same data, crops, network, 600 iterations and validation / checkpoint / evaluation nodes as scribble-pce.
 */
export default pipeline({
  name: 'scribble-gatedcrf',
  description: 'Scribble supervision: partial cross-entropy plus the gated CRF loss (ramped)',
  reference: 'Obukhov et al. Gated CRF Loss for Weakly Supervised Semantic Image Segmentation. arXiv:1906.04651, 2019',
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
    crf: stage(
      'GatedCRFLoss',
      { kernels: [{ weight: 1, xy: 5, image: 0.1 }, { weight: 1, xy: 3 }], radius: 5 },
      { prediction: 'predict.logits', image: 'batch.image' },
    ),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['pce', 'crf'], weights: [1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
