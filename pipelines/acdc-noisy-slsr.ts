import { noisySlsrPipeline } from './noisy-slsr.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Confident learning + SLSR (pipelines/noisy-slsr.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); needs
 * train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default noisySlsrPipeline(acdc2d);
