import { meanTeacherPipeline } from './mean-teacher.js';
import { acdc2d } from './shared/acdc-2d.js';

/**
 * Mean teacher (pipelines/mean-teacher.ts) on ACDC cardiac MRI slices (pipelines/shared/acdc-2d.ts); reads
 * train_labelled.csv and train_unlabelled.csv.
 */
export default meanTeacherPipeline(acdc2d);
