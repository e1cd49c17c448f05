import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Confident learning with spatial label smoothing regularisation (M. Zhang, J. Gao et al., "Characterizing label
 * errors: confident learning for noisy-labeled image segmentation", MICCAI 2020; PyMIC's NLLCLSLSR + SLSRLoss):
 * confident learning flags the pixels whose label the network confidently contradicts (per-class thresholds, confident
 * joint off-diagonal), and the loss is cross-entropy against labels smoothed towards ½ (ε = 0.25) at those pixels.
 * PyMIC runs confident learning once, offline, with a network already trained on the noisy labels; here it runs online
 * on each batch from the network's own stop-gradient predictions, from iteration 200 on (before that nothing is
 * flagged and the loss is plain cross-entropy). SLSR is used alone, as in PyMIC's seg_nll example. Everything else is
 * the noisy-dice-ce baseline. Measured here (seed 1): from iteration 200 to 240 confident learning flags 18–33% of a
 * batch's pixels, while the corrupted labels differ from the clean ones at 1.5% of the training pixels: classes the
 * half-trained network has not learnt yet get low thresholds, so this online variant smooths far more labels than
 * are wrong.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─┬─ logits ────────────────────┐
 *                                                      │                        └─ prob ─ confident(from 200) ─┤ noisyMask
 *                                                      └─ noisy label ─────────────────────────────┴───────────┴─ slsr ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export default pipeline({
  name: 'noisy-slsr',
  description: 'Noisy labels: 2D U-Net with cross-entropy smoothed at pixels confident learning flags (online, from iteration 200)',
  reference: 'Zhang, Gao et al. Characterizing Label Errors: Confident Learning for Noisy-Labeled Image Segmentation. MICCAI 2020',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
    net: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    confident: stage('ConfidentLearningMask', { start: 200 }, { prob: 'predict.prob', label: 'batch.label' }),
    slsr: stage('SLSRLoss', { epsilon: 0.25 }, { prediction: 'predict.logits', label: 'batch.label', noisyMask: 'confident.mask' }),
    loss: stage('WeightedSum', {}, { terms: ['slsr'], weights: [1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...validationAndTestNodes({ net: 'net' }),
  },
});
