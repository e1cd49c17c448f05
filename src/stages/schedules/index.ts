/** Schedules: scalar weights that follow the iteration (ramp-ups). One line per stage, alphabetical; a new stage is one file plus one line here. */
export { LinearRampup } from './linear-rampup.js';
export { SigmoidRampup } from './sigmoid-rampup.js';
