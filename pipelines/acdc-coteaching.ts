import { coteachingPipeline } from './coteaching.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Co-teaching (pipelines/coteaching.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); needs train_noisy.csv
 * (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default coteachingPipeline(acdc2d);
