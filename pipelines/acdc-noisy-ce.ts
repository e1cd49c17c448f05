import { noisyCePipeline } from './noisy-ce.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * The CE-only noisy-label baseline (pipelines/noisy-ce.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts);
 * needs train_noisy.csv (`npm run dataset -- weak data/acdc/fold0 --noise`).
 */
export default noisyCePipeline(acdc2d);
