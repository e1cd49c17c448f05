import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { scribbleRegulariserNodes } from './shared/scribble-regulariser-nodes.js';

/**
 * Scribble supervision with a total-variation regulariser (PyMIC's WSLTotalVariation with its TotalVariationLoss: the
 * mean soft contour of the prediction, opening minus erosion by 3×3 soft morphology, as the length term of Chen et al.,
 * "Learning active contour models for medical image segmentation", CVPR 2019): partial cross-entropy on the scribbled
 * pixels plus the contour length of the softmax prediction, weighted by a sigmoid ramp-up to 0.1 over the profile's
 * ramp-up (the first 300 iterations on the bundled data), so the regions between the strokes fill in smoothly.
 *
 *   batch ─┬─ image ─ predict(net) ─ logits ─┬─ pce(label, mask) ────────┐
 *          └─ label ─ scribble ─ label, mask ┘                          ├─ loss ─ optimise(net)
 *                                predict.logits ─ tv ─ × rampup ───────┘
 *
 * Same data, crops, network, iterations (600 on the bundled data) and validation / checkpoint / evaluation nodes as
 * scribble-pce.
 */
export function scribbleTvPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-tv`,
    description: 'Scribble supervision: partial cross-entropy plus total variation of the prediction (ramped)',
    reference: 'PyMIC WSLTotalVariation (pymic/net_run/weak_sup/wsl_tv.py)',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: scribbleRegulariserNodes(profile, 'tv', stage('TotalVariationLoss', {}, { prediction: 'predict.logits' })),
  });
}

export default scribbleTvPipeline(brainMr2d);
