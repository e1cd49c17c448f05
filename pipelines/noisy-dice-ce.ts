import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Baseline of the noisy-label comparison: the fully supervised pipeline (U-Net, Dice + cross-entropy, Adam) trained,
 * unchanged, on the training list in which 50% of the cases have corrupted labels (train_noisy.csv: the noisy label
 * for the corrupted cases, the clean one for the others; see fixtures/brain-mr-2d/WEAK-LABELS.md).
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                      └─ noisy label ────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export default pipeline({
  name: 'noisy-dice-ce',
  description: 'Noisy-label baseline: 2D U-Net with plain Dice + cross-entropy on the half-corrupted training labels',
  reference: 'Ronneberger et al., U-Net, MICCAI 2015; PyMIC (Wang et al., CMPB 2023)',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
