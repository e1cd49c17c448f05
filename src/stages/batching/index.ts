/** Feeders: sample streams into batch tensors, one batch per training tick. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { Batch } from './batch.js';
