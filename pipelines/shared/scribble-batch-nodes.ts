import { type NodeDefinition, stage } from '../../src/graph/pipeline-definition.js';
import { type DataProfile2D, scribbleConventionsOf } from './data-profile.js';

/**
 * The scribble batch every scribble-supervised pipeline starts from: the profile's augmented training branch over
 * train_scribble.csv (source `train`, batch `batch`) with the profile's scribble conventions (the unannotated value
 * accepted as a label, crops centred on a foreground stroke), then `scribble` (PartialLabelMask), which turns
 * `batch.label` into `scribble.label` (unannotated → 0) and `scribble.mask` (1 on the scribbled pixels) for a partial
 * cross-entropy. The method adds its networks, forward passes and losses after these nodes.
 */
export function scribbleBatchNodes(profile: DataProfile2D): Record<string, NodeDefinition> {
  const conventions = scribbleConventionsOf(profile);
  return {
    ...profile.trainBranch({
      source: 'train', batch: 'batch', dataset: { csv: 'train_scribble.csv', ...conventions.dataset },
      crop: conventions.crop,
    }),
    scribble: stage('PartialLabelMask', { unannotatedValue: conventions.unannotatedValue }, { label: 'batch.label' }),
  };
}
