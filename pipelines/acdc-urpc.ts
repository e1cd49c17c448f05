import { urpcPipeline } from './urpc.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * URPC (pipelines/urpc.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads train_labelled.csv and
 * train_unlabelled.csv.
 */
export default urpcPipeline(acdc2d);
