import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Fully supervised 2D segmentation, PyMIC's baseline: U-Net, Dice + cross-entropy, Adam.
 *
 *   train ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                └─ label ──────────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 *
 * Data: axial slices of the Colin27 T1 with caudate, putamen, thalamus and hippocampus from the AAL atlas
 * (fixtures/brain-mr-2d, see its PROVENANCE.md).
 */
export default pipeline({
  name: 'supervised',
  description: 'Fully supervised 2D U-Net with Dice + cross-entropy on the bundled brain MR slices',
  reference: 'Ronneberger et al., U-Net, MICCAI 2015; PyMIC (Wang et al., CMPB 2023)',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train.csv' }, crop: { foregroundRatio: 0.8 } }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
