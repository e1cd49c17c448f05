import { type NodeDefinition, stage } from '../../src/graph/pipeline-definition.js';
import { type DataProfile2D, unetSizeOf } from './data-profile.js';
import { scribbleBatchNodes } from './scribble-batch-nodes.js';

/**
 * The dual-branch part DMPLS and DMSPS share (PyMIC's UNet2D_DualBranch: one encoder, two independently initialised
 * decoders): `scribbleBatchNodes`, then `net` (DualBranchUNet2D of the profile's size; its output, the mean of both
 * branches' logits, is what validation and test use), `predict` (ForwardHeads, 2 heads: `logits`/`prob` of the first
 * branch, `logits1`/`prob1` of the second, `meanProb`), `pce1` and `pce2` (each branch's partial cross-entropy on the
 * scribbles) and `mix` (DynamicMixPseudoLabel: α·p₁ + (1 − α)·p₂, α ~ U(0, 1) per tick, no gradient; DMPLS supervises
 * with its argmax `mix.label`, DMSPS with the soft `mix.prob`). The method adds its pseudo-label terms, `loss`,
 * `optimise` and the profile's validation and test nodes of `net`.
 */
export function dualBranchScribbleNodes(profile: DataProfile2D): Record<string, NodeDefinition> {
  return {
    ...scribbleBatchNodes(profile),
    net: stage('DualBranchUNet2D', unetSizeOf(profile)),
    predict: stage('ForwardHeads', { heads: 2 }, { net: 'net', image: 'batch.image' }),
    pce1: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'scribble.label', mask: 'scribble.mask' }),
    pce2: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits1', label: 'scribble.label', mask: 'scribble.mask' }),
    mix: stage('DynamicMixPseudoLabel', {}, { first: 'predict.prob', second: 'predict.prob1' }),
  };
}
