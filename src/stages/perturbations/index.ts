/** Perturbations: noise and random transformations applied to tensors inside a tick. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { InputNoise } from './input-noise.js';
export { RandomRot90Pair } from './random-rot90-pair.js';
