/** The forward family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { Forward } from './forward.js';
export { ForwardHeads } from './forward-heads.js';
export { MonteCarloForward } from './monte-carlo-forward.js';
