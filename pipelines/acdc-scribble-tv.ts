import { scribbleTvPipeline } from './scribble-tv.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Scribbles + total variation (pipelines/scribble-tv.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts);
 * reads train_scribble.csv (4 = unannotated).
 */
export default scribbleTvPipeline(acdc2d);
