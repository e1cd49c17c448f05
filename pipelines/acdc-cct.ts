import { cctPipeline } from './cct.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Cross-consistency training (pipelines/cct.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_labelled.csv and train_unlabelled.csv.
 */
export default cctPipeline(acdc2d);
