/** Optimisers: differentiate a loss and step the networks it trains. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { Adam } from './adam.js';
