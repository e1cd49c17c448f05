/** The perturbations family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { InputNoise } from './input-noise.js';
export { RandomRot90Pair } from './random-rot90-pair.js';
