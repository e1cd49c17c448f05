import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Scribble-supervised baseline: partial cross-entropy, i.e. cross-entropy over the annotated (scribbled) pixels only
 * (Tang et al., "Normalized cut loss for weakly-supervised CNN segmentation", CVPR 2018; Lin et al., "ScribbleSup",
 * CVPR 2016; PyMIC's weakly supervised baseline: PartialLabelToProbability + pixel-weighted CrossEntropyLoss). The
 * other scribble pipelines add one regulariser or pseudo-label term to this graph.
 *
 *   train_scribble ─ normalise ─ flip ─ crop 64² (centred on a foreground stroke) ─ batch
 *   batch ─┬─ image ─ predict(net) ─ logits ────────────────────┐
 *          └─ label ─ scribble ─ label (unannotated → 0), mask ─┴─ pce ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 *
 * Data: the scribbles generated from the 33 training masks of fixtures/brain-mr-2d (train_scribble.csv; unannotated
 * pixels have the value 5, the class count); validation and test use the full masks, as every other 2D pipeline.
 */
export default pipeline({
  name: 'scribble-pce',
  description: 'Scribble supervision baseline: partial cross-entropy on the annotated pixels only',
  reference: 'Tang et al. Normalized Cut Loss for Weakly-supervised CNN Segmentation. CVPR 2018',
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
    loss: stage('WeightedSum', {}, { terms: ['pce'], weights: [1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
