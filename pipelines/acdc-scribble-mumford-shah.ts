import { scribbleMumfordShahPipeline } from './scribble-mumford-shah.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Scribbles + Mumford-Shah loss (pipelines/scribble-mumford-shah.ts) on ACDC cardiac MRI slices
 * (pipelines/shared/acdc-2d.ts); reads train_scribble.csv (4 = unannotated).
 */
export default scribbleMumfordShahPipeline(acdc2d);
