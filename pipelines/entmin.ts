import { pipeline, stage } from '../src/graph/pipeline-definition.js';

const classNames = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

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
    labelled: stage('CsvDataset', { csv: 'train_labelled.csv' }),
    labelledNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'labelled' }),
    labelledFlipped: stage('RandomFlip', { horizontal: 0.5 }, { samples: 'labelledNormalised' }),
    labelledCropped: stage('RandomCrop', { size: [64, 64], foregroundRatio: 0.8 }, { samples: 'labelledFlipped' }),
    batchL: stage('Batch', { size: 4 }, { samples: 'labelledCropped' }),
    unlabelled: stage('CsvDataset', { csv: 'train_unlabelled.csv', labelColumn: null }),
    unlabelledNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'unlabelled' }),
    unlabelledFlipped: stage('RandomFlip', { horizontal: 0.5 }, { samples: 'unlabelledNormalised' }),
    unlabelledCropped: stage('RandomCrop', { size: [64, 64] }, { samples: 'unlabelledFlipped' }),
    batchU: stage('Batch', { size: 4 }, { samples: 'unlabelledCropped' }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predL: stage('Forward', {}, { net: 'net', image: 'batchL.image' }),
    predU: stage('Forward', {}, { net: 'net', image: 'batchU.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    entropy: stage('EntropyLoss', {}, { prediction: 'predU.logits' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'entropy'], weights: [1, 1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    valid: stage('CsvDataset', { csv: 'valid.csv' }),
    validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
    validate: stage('Validate', { every: 50, classNames }, { net: 'net', samples: 'validNormalised' }),
    test: stage('CsvDataset', { csv: 'test.csv' }),
    testNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'test' }),
    evaluate: stage('Evaluate', { checkpoint: 'best', classNames }, { net: 'net', samples: 'testNormalised' }),
  },
});
