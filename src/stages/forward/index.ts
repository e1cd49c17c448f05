/** Forward passes: a network applied to a batch inside a tick. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { Forward } from './forward.js';
export { ForwardHeads } from './forward-heads.js';
export { MonteCarloForward } from './monte-carlo-forward.js';
