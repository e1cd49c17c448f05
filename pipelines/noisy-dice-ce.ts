import { pipeline, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { supervisedPipeline } from './supervised.js';

/**
 * Baseline of the noisy-label comparison: the fully supervised pipeline (U-Net, Dice + cross-entropy, Adam) trained,
 * unchanged, on the training list in which 50% of the cases have corrupted labels (train_noisy.csv: the noisy label
 * for the corrupted cases, the clean one for the others; see fixtures/brain-mr-2d/WEAK-LABELS.md; for another data
 * root `npm run dataset -- weak DIR --noise` writes it and train_noisy_clean_split.csv). The graph is `supervised`'s
 * with its `train` list swapped, as `--set train.csv=train_noisy.csv` would.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┬─ dice ─┐
 *                                                      └─ noisy label ────────────────────┴─ ce ───┴─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisyDiceCePipeline(profile: DataProfile2D): PipelineDefinition {
  const supervised = supervisedPipeline(profile);
  const { train } = supervised.nodes;
  return pipeline({
    ...supervised,
    name: `${profile.prefix}noisy-dice-ce`,
    description: 'Noisy-label baseline: 2D U-Net with plain Dice + cross-entropy on the half-corrupted training labels',
    nodes: { ...supervised.nodes, train: { ...train, params: { ...train.params, csv: 'train_noisy.csv' } } },
  });
}

export default noisyDiceCePipeline(brainMr2d);
