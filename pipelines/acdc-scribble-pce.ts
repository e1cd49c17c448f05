import { scribblePcePipeline } from './scribble-pce.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * The scribble baseline (partial CE) (pipelines/scribble-pce.ts) on ACDC cardiac MRI slices
 * (pipelines/shared/acdc-2d.ts); reads train_scribble.csv (4 = unannotated).
 */
export default scribblePcePipeline(acdc2d);
