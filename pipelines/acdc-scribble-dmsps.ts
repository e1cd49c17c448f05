import { scribbleDmspsPipeline } from './scribble-dmsps.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * DMSPS (pipelines/scribble-dmsps.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_scribble.csv (4 = unannotated).
 */
export default scribbleDmspsPipeline(acdc2d);
