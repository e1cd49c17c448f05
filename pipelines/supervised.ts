import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Fully supervised 2D segmentation, PyMIC's baseline: U-Net, Dice + cross-entropy, Adam.
 *
 *   train ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                └─ label ──────────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 *
 * Data: the profile's; by default axial slices of the Colin27 T1 with caudate, putamen, thalamus and hippocampus from
 * the AAL atlas (fixtures/brain-mr-2d, see its PROVENANCE.md). The baseline of the semi-supervised comparison trains
 * on the labelled slices only: `--set train.csv=train_labelled.csv` (specs/ssl.ts).
 */
export function supervisedPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}supervised`,
    description: `Fully supervised 2D U-Net with Dice + cross-entropy ${profile.dataDescription}`,
    reference: 'Ronneberger et al., U-Net, MICCAI 2015; PyMIC (Wang et al., CMPB 2023)',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train.csv' }, crop: { foregroundRatio: 0.8 } }),
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

export default supervisedPipeline(brainMr2d);
