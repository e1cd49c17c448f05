import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { scribbleRegulariserNodes } from './shared/scribble-regulariser-nodes.js';

/**
 * Scribble supervision with entropy minimisation (Grandvalet & Bengio, "Semi-supervised learning by entropy
 * minimization", NeurIPS 2004; PyMIC's WSLEntropyMinimization): partial cross-entropy on the scribbled pixels plus the
 * normalised prediction entropy over every pixel, weighted by a sigmoid ramp-up to 0.1 (PyMIC's `regularize_w`) over
 * the profile's ramp-up (the first 300 iterations on the bundled data), so the unannotated pixels are pushed towards
 * confident predictions.
 *
 *   batch ─┬─ image ─ predict(net) ─ logits ─┬─ pce(label, mask) ───────────┐
 *          └─ label ─ scribble ─ label, mask ┘                             ├─ loss ─ optimise(net)
 *                                predict.logits ─ entropy ─ × rampup ─────┘
 *
 * Same data, crops, network, iterations (600 on the bundled data) and validation / checkpoint / evaluation nodes as
 * scribble-pce.
 */
export function scribbleEntminPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-entmin`,
    description: 'Scribble supervision: partial cross-entropy plus entropy minimisation on all pixels (ramped)',
    reference: 'Grandvalet & Bengio. Semi-supervised Learning by Entropy Minimization. NeurIPS 2004',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: scribbleRegulariserNodes(profile, 'entropy', stage('EntropyLoss', {}, { prediction: 'predict.logits' })),
  });
}

export default scribbleEntminPipeline(brainMr2d);
