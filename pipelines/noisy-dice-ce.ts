import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Baseline of the noisy-label comparison: the fully supervised pipeline (U-Net, Dice + cross-entropy, Adam) trained,
 * unchanged, on the training list in which 50% of the cases have corrupted labels (train_noisy.csv: the noisy label
 * for the corrupted cases, the clean one for the others; see fixtures/brain-mr-2d/WEAK-LABELS.md; for another data
 * root `npm run dataset -- weak DIR --noise` writes it and train_noisy_clean_split.csv).
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                      └─ noisy label ────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisyDiceCePipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}noisy-dice-ce`,
    description: 'Noisy-label baseline: 2D U-Net with plain Dice + cross-entropy on the half-corrupted training labels',
    reference: 'Ronneberger et al., U-Net, MICCAI 2015; PyMIC (Wang et al., CMPB 2023)',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
      net: stage('UNet2D', unetSizeOf(profile)),
      predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
      dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default noisyDiceCePipeline(brainMr2d);
