/** Sample and pixel selection for noisy labels (small-loss, confident learning, divergence), and its probes. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { ConfidentLearningMask } from './confident-learning-mask.js';
export { DivergenceAwareSelection } from './divergence-aware-selection.js';
export { DroppedFractionByClass } from './dropped-fraction-by-class.js';
export { PixelCrossEntropy } from './pixel-cross-entropy.js';
export { SmallLossSelection } from './small-loss-selection.js';
