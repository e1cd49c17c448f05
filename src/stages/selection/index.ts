/** The selection family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { ConfidentLearningMask } from './confident-learning-mask.js';
export { DivergenceAwareSelection } from './divergence-aware-selection.js';
export { DroppedFractionByClass } from './dropped-fraction-by-class.js';
export { PixelCrossEntropy } from './pixel-cross-entropy.js';
export { SmallLossSelection } from './small-loss-selection.js';
