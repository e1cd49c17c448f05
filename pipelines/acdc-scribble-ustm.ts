import { scribbleUstmPipeline } from './scribble-ustm.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * USTM (pipelines/scribble-ustm.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads train_scribble.csv
 * (4 = unannotated).
 */
export default scribbleUstmPipeline(acdc2d);
