/** The pseudo-labels family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { ArgmaxPseudoLabel } from './argmax-pseudo-label.js';
export { DynamicMixPseudoLabel } from './dynamic-mix-pseudo-label.js';
export { PredictiveEntropy } from './predictive-entropy.js';
export { SharpenedVoteLabel } from './sharpened-vote-label.js';
export { SharpenProbabilities } from './sharpen-probabilities.js';
export { UncertaintyMask } from './uncertainty-mask.js';
