import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Scribble supervision with a total-variation regulariser (PyMIC's WSLTotalVariation with its TotalVariationLoss: the
 * mean soft contour of the prediction, opening minus erosion by 3×3 soft morphology, as the length term of Chen et al.,
 * "Learning active contour models for medical image segmentation", CVPR 2019): partial cross-entropy on the scribbled
 * pixels plus the contour length of the softmax prediction, weighted by a sigmoid ramp-up to 0.1 over the first 300
 * iterations, so the regions between the strokes fill in smoothly.
 *
 *   batch ─┬─ image ─ predict(net) ─ logits ─┬─ pce(label, mask) ────────┐
 *          └─ label ─ scribble ─ label, mask ┘                          ├─ loss ─ optimise(net)
 *                                predict.logits ─ tv ─ × rampup ───────┘
 *
 * Same data, crops, network, 600 iterations and validation / checkpoint / evaluation nodes as scribble-pce.
 */
export default pipeline({
  name: 'scribble-tv',
  description: 'Scribble supervision: partial cross-entropy plus total variation of the prediction (ramped)',
  reference: 'PyMIC WSLTotalVariation (pymic/net_run/weak_sup/wsl_tv.py)',
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
    tv: stage('TotalVariationLoss', {}, { prediction: 'predict.logits' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['pce', 'tv'], weights: [1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
