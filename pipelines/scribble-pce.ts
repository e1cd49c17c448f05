import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { scribbleTrainingNodes } from './shared/scribble-nodes.js';

/**
 * Scribble-supervised baseline: partial cross-entropy, i.e. cross-entropy over the annotated (scribbled) pixels only
 * (Tang et al., "Normalized cut loss for weakly-supervised CNN segmentation", CVPR 2018; Lin et al., "ScribbleSup",
 * CVPR 2016; PyMIC's weakly supervised baseline: PartialLabelToProbability + pixel-weighted CrossEntropyLoss). The
 * other scribble pipelines add one regulariser or pseudo-label term to this graph.
 *
 *   train_scribble ─ normalise ─ flip ─ crop 64² (centred on a foreground stroke) ─ batch
 *   batch ─┬─ image ─ predict(net) ─ logits ────────────────────┐
 *          └─ label ─ scribble ─ label (unannotated → 0), mask ─┴─ pce ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 *
 * Data: the profile's train_scribble.csv, whose unannotated pixels hold the class count (the bundled data's: scribbles
 * generated from the 33 training masks of fixtures/brain-mr-2d, unannotated = 5); validation and test use the full
 * masks, as every other 2D pipeline.
 */
export function scribblePcePipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-pce`,
    description: 'Scribble supervision baseline: partial cross-entropy on the annotated pixels only',
    reference: 'Tang et al. Normalized Cut Loss for Weakly-supervised CNN Segmentation. CVPR 2018',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...scribbleTrainingNodes(profile),
      loss: stage('WeightedSum', {}, { terms: ['pce'], weights: [1] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default scribblePcePipeline(brainMr2d);
