import { trinetClassBalancedPipeline } from './trinet-class-balanced.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Class-balanced tri-network (pipelines/trinet-class-balanced.ts) on ACDC cardiac MRI slices
 * (pipelines/shared/acdc-2d.ts); needs train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default trinetClassBalancedPipeline(acdc2d);
