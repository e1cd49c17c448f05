/** The hooks family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { Checkpoint } from './checkpoint.js';
export { Evaluate } from './evaluate.js';
export { EvaluateSegmentation } from './evaluate-segmentation.js';
export { Validate } from './validate.js';
