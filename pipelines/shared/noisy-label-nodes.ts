import { type NodeDefinition, stage } from '../../src/graph/pipeline-definition.js';
import { type DataProfile2D, unetSizeOf } from './data-profile.js';

/**
 * The nodes of one U-Net trained on the noisy labels with a single noise-robust loss, the graph noisy-gce, noisy-nrdice
 * and noisy-slsr share with the noisy-dice-ce baseline: the profile's augmented training branch over train_noisy.csv
 * (80 % of the crops centred on foreground), `net` (the profile's UNet2D), `predict` (Forward on `batch.image`), the
 * nodes the loss reads besides the prediction (`inputs`, e.g. noisy-slsr's confident-learning mask), the loss node
 * `name` (reading `predict.*` and the noisy `batch.label`), `loss` (that term alone, weight 1), `optimise` (Adam on
 * `net`, lr 1e-3) and the profile's validation and test nodes of `net`.
 */
export function noisyLabelNodes(
  profile: DataProfile2D,
  name: string,
  lossNode: NodeDefinition,
  inputs: Readonly<Record<string, NodeDefinition>> = {},
): Record<string, NodeDefinition> {
  return {
    ...profile.trainBranch({ source: 'train', batch: 'batch', dataset: { csv: 'train_noisy.csv' }, crop: { foregroundRatio: 0.8 } }),
    net: stage('UNet2D', unetSizeOf(profile)),
    predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
    ...inputs,
    [name]: lossNode,
    loss: stage('WeightedSum', {}, { terms: [name], weights: [1] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
    ...profile.validationAndTestNodes({ net: 'net' }),
  };
}
