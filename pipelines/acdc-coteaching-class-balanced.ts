import { coteachingClassBalancedPipeline } from './coteaching-class-balanced.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Class-balanced co-teaching (pipelines/coteaching-class-balanced.ts) on ACDC cardiac MRI slices
 * (pipelines/shared/acdc-2d.ts); needs train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default coteachingClassBalancedPipeline(acdc2d);
