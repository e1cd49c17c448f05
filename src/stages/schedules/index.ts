/** The schedules family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { LinearRampup } from './linear-rampup.js';
export { SigmoidRampup } from './sigmoid-rampup.js';
