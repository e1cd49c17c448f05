import { cpsPipeline } from './cps.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Cross pseudo supervision (pipelines/cps.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_labelled.csv and train_unlabelled.csv.
 */
export default cpsPipeline(acdc2d);
