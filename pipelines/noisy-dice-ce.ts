import { pipeline, stage } from '../src/graph/pipeline-definition.js';

const classNames = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

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
    train: stage('CsvDataset', { csv: 'train_noisy.csv' }),
    trainNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'train' }),
    trainFlipped: stage('RandomFlip', { horizontal: 0.5 }, { samples: 'trainNormalised' }),
    trainCropped: stage('RandomCrop', { size: [64, 64], foregroundRatio: 0.8 }, { samples: 'trainFlipped' }),
    batch: stage('Batch', { size: 4 }, { samples: 'trainCropped' }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    valid: stage('CsvDataset', { csv: 'valid.csv' }),
    validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
    validate: stage('Validate', { every: 50, classNames }, { net: 'net', samples: 'validNormalised' }),
    checkpoint: stage('Checkpoint', { every: 100 }, { nets: ['net'] }),
    test: stage('CsvDataset', { csv: 'test.csv' }),
    testNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'test' }),
    evaluate: stage('Evaluate', { checkpoint: 'best', classNames }, { net: 'net', samples: 'testNormalised' }),
  },
});
