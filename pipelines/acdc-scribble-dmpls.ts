import { scribbleDmplsPipeline } from './scribble-dmpls.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * DMPLS (pipelines/scribble-dmpls.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_scribble.csv (4 = unannotated).
 */
export default scribbleDmplsPipeline(acdc2d);
