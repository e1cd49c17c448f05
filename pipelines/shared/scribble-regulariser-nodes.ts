import { type NodeDefinition, stage } from '../../src/graph/pipeline-definition.js';
import type { DataProfile2D } from './data-profile.js';
import { scribbleTrainingNodes } from './scribble-nodes.js';

/**
 * The nodes of a "partial cross-entropy plus one regulariser" scribble method, PyMIC's WSL recipe with its
 * `regularize_w`: `scribbleTrainingNodes`, then the regulariser node `name` (e.g. `'entropy'`, an EntropyLoss reading
 * `predict.logits`, and `batch.image` if it needs the image), `rampup` (a sigmoid ramp-up to 0.1 over the profile's
 * ramp-up), `loss` = pce + rampup × regulariser, `optimise` (Adam on `net`, lr 1e-3) and the profile's validation and
 * test nodes of `net`.
 */
export function scribbleRegulariserNodes(profile: DataProfile2D, name: string, regulariser: NodeDefinition): Record<string, NodeDefinition> {
  return {
    ...scribbleTrainingNodes(profile),
    [name]: regulariser,
    rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.1 }),
    loss: stage('WeightedSum', {}, { terms: ['pce', name], weights: [1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...profile.validationAndTestNodes({ net: 'net' }),
  };
}
