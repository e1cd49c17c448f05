/** Hooks: validation, checkpoints and evaluation between ticks. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { Checkpoint } from './checkpoint.js';
export { Evaluate } from './evaluate.js';
export { EvaluateSegmentation } from './evaluate-segmentation.js';
export { Validate } from './validate.js';
