/** Pseudo labels and targets made from predictions (argmax, sharpening, votes, uncertainty). One line per stage, alphabetical; a new stage is one file plus one line here. */
export { ArgmaxPseudoLabel } from './argmax-pseudo-label.js';
export { DynamicMixPseudoLabel } from './dynamic-mix-pseudo-label.js';
export { PredictiveEntropy } from './predictive-entropy.js';
export { SharpenedVoteLabel } from './sharpened-vote-label.js';
export { SharpenProbabilities } from './sharpen-probabilities.js';
export { UncertaintyMask } from './uncertainty-mask.js';
