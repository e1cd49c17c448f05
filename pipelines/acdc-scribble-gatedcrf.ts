import { scribbleGatedcrfPipeline } from './scribble-gatedcrf.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Scribbles + gated CRF loss (pipelines/scribble-gatedcrf.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts);
 * reads train_scribble.csv (4 = unannotated).
 */
export default scribbleGatedcrfPipeline(acdc2d);
