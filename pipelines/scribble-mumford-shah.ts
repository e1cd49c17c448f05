import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { scribbleRegulariserNodes } from './shared/scribble-regulariser-nodes.js';

/**
 * Scribble supervision with the Mumford-Shah loss (Kim & Ye, "Mumford-Shah loss functional for image segmentation with
 * deep learning", IEEE TIP 2019; PyMIC's WSLMumfordShah): partial cross-entropy on the scribbled pixels plus the
 * piecewise-constant Mumford-Shah energy of the soft segmentation on the image (intensity variance inside each soft
 * region plus its boundary length, L1 penalty, λ = 1), weighted by a sigmoid ramp-up to 0.1 over the profile's
 * ramp-up (the first 300 iterations on the bundled data).
 *
 *   batch ─┬─ image ─┬─ predict(net) ─ logits ─┬─ pce ──────────────────────────────────────┐
 *          │         └─────────────────────────┴─ mumfordShah(logits, image) ─ × rampup ─┴─ loss ─ optimise(net)
 *          └─ label ─ scribble ─ label, mask ─ pce
 *
 * Same data, crops, network, iterations (600 on the bundled data) and validation / checkpoint / evaluation nodes as
 * scribble-pce.
 */
export function scribbleMumfordShahPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-mumford-shah`,
    description: 'Scribble supervision: partial cross-entropy plus the Mumford-Shah loss on the image (ramped)',
    reference: 'Kim & Ye. Mumford-Shah Loss Functional for Image Segmentation With Deep Learning. IEEE TIP 2019',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: scribbleRegulariserNodes(profile, 'mumfordShah', stage('MumfordShahLoss', { penalty: 'l1', lambda: 1 }, { prediction: 'predict.logits', image: 'batch.image' })),
  });
}

export default scribbleMumfordShahPipeline(brainMr2d);
