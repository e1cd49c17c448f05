import { uamtPipeline } from './uamt.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Uncertainty-aware mean teacher (pipelines/uamt.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_labelled.csv and train_unlabelled.csv.
 */
export default uamtPipeline(acdc2d);
