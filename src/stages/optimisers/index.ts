/** The optimisers family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { Adam } from './adam.js';
