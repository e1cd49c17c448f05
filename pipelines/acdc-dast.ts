import { dastPipeline } from './dast.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * DAST (pipelines/dast.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); needs train_noisy_clean_split.csv
 * (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default dastPipeline(acdc2d);
