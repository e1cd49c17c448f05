import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { noisyDiceCePipeline } from './noisy-dice-ce.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';

/**
 * Cross-entropy-only counterpart of the noisy-label baseline: `noisy-dice-ce` without its Dice term. Co-teaching and
 * tri-net train on cross-entropy alone (as in PyMIC), so this is the graph they change: the same single network and
 * loss with no sample selection, which tells what their selection itself adds.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┐
 *                                                      └─ noisy label ────────────────────┴─ ce ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisyCePipeline(profile: DataProfile2D): PipelineDefinition {
  const noisyDiceCe = noisyDiceCePipeline(profile);
  const { dice: _dice, ...withoutDice } = noisyDiceCe.nodes;
  return pipeline({
    ...noisyDiceCe,
    name: `${profile.prefix}noisy-ce`,
    description: 'Noisy-label baseline for the selection methods: 2D U-Net with cross-entropy only on the half-corrupted labels',
    nodes: {
      ...withoutDice,
      loss: stage('WeightedSum', {}, { terms: ['ce'], weights: [1] }),
    },
  });
}

export default noisyCePipeline(brainMr2d);
