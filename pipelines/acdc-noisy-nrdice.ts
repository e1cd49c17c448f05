import { noisyNrdicePipeline } from './noisy-nrdice.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Noise-robust Dice (pipelines/noisy-nrdice.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); needs
 * train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default noisyNrdicePipeline(acdc2d);
