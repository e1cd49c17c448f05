import { pipeline, stage } from '../src/graph/pipeline-definition.js';

const classNames = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

/**
 * Noise-robust Dice loss (Wang et al., "A noise-robust framework for automatic segmentation of COVID-19 pneumonia
 * lesions from CT images", IEEE TMI 2020): Σ|p − y|^γ / Σ(p + y) per class, γ = 1.5, between the Dice loss (γ = 2)
 * and a noise-robust, MAE-like loss (γ = 1); used alone, as PyMIC's NoiseRobustDiceLoss in its seg_nll example.
 * Everything else is the noisy-dice-ce baseline.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┐
 *                                                      └─ noisy label ────────────────────┴─ nrdice ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export default pipeline({
  name: 'noisy-nrdice',
  description: 'Noisy labels: 2D U-Net trained with the noise-robust Dice loss (gamma = 1.5) on the half-corrupted training labels',
  reference: 'Wang et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 2020',
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
    nrdice: stage('NoiseRobustDiceLoss', { gamma: 1.5 }, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['nrdice'], weights: [1] }),
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
