import { supervisedPipeline } from './supervised.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * The fully supervised baseline (pipelines/supervised.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); as
 * the 10 %-labelled baseline of the SSL methods `--set train.csv=train_labelled.csv`.
 */
export default supervisedPipeline(acdc2d);
