import { type NodeDefinition, stage } from '../../src/graph/pipeline-definition.js';
import { type DataProfile2D, unetSizeOf } from './data-profile.js';
import { scribbleBatchNodes } from './scribble-batch-nodes.js';

/**
 * The partial cross-entropy of a single U-Net on the scribble batch, the part scribble-pce and its one-regulariser
 * variants (entmin, tv, gated CRF, Mumford-Shah) share: `scribbleBatchNodes`, then `net` (the profile's UNet2D),
 * `predict` (Forward on `batch.image`: `predict.logits`, `predict.prob`) and `pce` (CrossEntropyLoss on the scribbled
 * pixels only). The method adds its regulariser on `predict.logits`, the `loss` sum, `optimise` and the profile's
 * validation and test nodes of `net`.
 */
export function scribbleTrainingNodes(profile: DataProfile2D): Record<string, NodeDefinition> {
  return {
    ...scribbleBatchNodes(profile),
    net: stage('UNet2D', unetSizeOf(profile)),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    pce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'scribble.label', mask: 'scribble.mask' }),
  };
}
