import { pipeline, stage } from '../src/graph/pipeline-definition.js';

const classNames = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

/**
 * Fully supervised 3D segmentation, PyMIC's 3D baseline: 3D U-Net on random patches, Dice + cross-entropy, Adam,
 * then sliding-window evaluation of the whole test volume.
 *
 *   train ─ normalise ─ flip ─ crop 32³ ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                └─ label ──────────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   test ─ normalise ─ evaluate(net, sliding 48×48×48 windows) → Dice, HD95, ASSD per class
 *
 * Data: one 48×80×64 mm block per hemisphere of the Colin27 T1 with caudate, putamen, thalamus and hippocampus from
 * the AAL atlas (fixtures/brain-mr-3d, see its PROVENANCE.md): the left block trains, the right block tests. With one
 * training volume there is no held-out validation volume, so the final weights are evaluated (no best checkpoint).
 */
export default pipeline({
  name: 'supervised-3d',
  description: 'Fully supervised 3D U-Net with Dice + cross-entropy on patches of the bundled brain MR volume',
  reference: 'Çiçek et al., 3D U-Net, MICCAI 2016; PyMIC (Wang et al., CMPB 2023)',
  data: 'fixtures/brain-mr-3d',
  schedule: { iterations: 300, seed: 1 },
  nodes: {
    train: stage('CsvDataset', { csv: 'train.csv' }),
    trainNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'train' }),
    trainFlipped: stage('RandomFlip', { horizontal: 0.5 }, { samples: 'trainNormalised' }),
    trainCropped: stage('RandomCrop', { size: [32, 32, 32], foregroundRatio: 0.8 }, { samples: 'trainFlipped' }),
    batch: stage('Batch', { size: 2 }, { samples: 'trainCropped' }),
    net: stage('UNet3D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64], dropout: [0, 0, 0.2, 0.3] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
    optimise: stage('Adam', { lr: 2e-3 }, { loss: 'loss', nets: ['net'] }),
    test: stage('CsvDataset', { csv: 'test.csv' }),
    testNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'test' }),
    evaluate: stage(
      'EvaluateSegmentation',
      { checkpoint: 'current', classNames, window: [48, 48, 48], overlap: 0.5 },
      { net: 'net', samples: 'testNormalised' },
    ),
  },
});
