import { scribbleEntminPipeline } from './scribble-entmin.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Scribbles + entropy minimisation (pipelines/scribble-entmin.ts) on ACDC cardiac MRI slices
 * (pipelines/shared/acdc-2d.ts); reads train_scribble.csv (4 = unannotated).
 */
export default scribbleEntminPipeline(acdc2d);
