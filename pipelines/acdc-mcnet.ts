import { mcnetPipeline } from './mcnet.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * MC-Net (pipelines/mcnet.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads train_labelled.csv and
 * train_unlabelled.csv.
 */
export default mcnetPipeline(acdc2d);
