import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Cross-entropy-only counterpart of the noisy-label baseline: `noisy-dice-ce` without its Dice term. Co-teaching and
 * tri-net train on cross-entropy alone (as in PyMIC), so this is the graph they change: the same single network and
 * loss with no sample selection, which tells what their selection itself adds.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┐
 *                                                      └─ noisy label ────────────────────┴─ ce ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export default pipeline({
  name: 'noisy-ce',
  description: 'Noisy-label baseline for the selection methods: 2D U-Net with cross-entropy only on the half-corrupted labels',
  reference: 'Ronneberger et al., U-Net, MICCAI 2015; PyMIC (Wang et al., CMPB 2023)',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['ce'], weights: [1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net', checkpointNets: ['net'] }),
  },
});
