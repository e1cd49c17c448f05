import { noisyGcePipeline } from './noisy-gce.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Generalized cross-entropy (pipelines/noisy-gce.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); needs
 * train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default noisyGcePipeline(acdc2d);
