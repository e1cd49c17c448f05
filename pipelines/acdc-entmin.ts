import { entminPipeline } from './entmin.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Entropy minimisation (pipelines/entmin.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_labelled.csv and train_unlabelled.csv.
 */
export default entminPipeline(acdc2d);
