/** Weak labels: partial (scribble) annotation masks. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { PartialLabelMask } from './partial-label-mask.js';
