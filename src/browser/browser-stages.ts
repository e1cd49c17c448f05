import type { StageClass } from '../graph/stage.js';
import { StageRegistry } from '../graph/stage-registry.js';
import * as batching from '../stages/batching/index.js';
import * as forward from '../stages/forward/index.js';
import { Checkpoint } from '../stages/hooks/checkpoint.js';
import { Evaluate } from '../stages/hooks/evaluate.js';
import { Validate } from '../stages/hooks/validate.js';
import * as losses from '../stages/losses/index.js';
import * as networks from '../stages/networks/index.js';
import { nodeOnlyStages } from '../stages/node-only-stages.js';
import * as optimisers from '../stages/optimisers/index.js';
import * as perturbations from '../stages/perturbations/index.js';
import * as pseudoLabels from '../stages/pseudo-labels/index.js';
import * as schedules from '../stages/schedules/index.js';
import * as selection from '../stages/selection/index.js';
import * as transforms from '../stages/transforms/index.js';
import * as weakLabels from '../stages/weak-labels/index.js';
import { openedFilesDataset } from './opened-files-dataset.js';
import type { OpenedFiles } from './opened-files.js';

/**
 * The built-in stages the browser bundle holds: every family of src/stages/built-in-stages.ts but the Node-only
 * stages of src/stages/node-only-stages.ts (datasets read from disk, hooks that write to the run directory), which
 * are imported here by family or file so that their Node imports stay out of the bundle.
 * test/browser/stage-environments.test.ts checks that this is exactly the built-ins that do not declare `runsIn`.
 */
export const browserStageClasses: readonly StageClass[] = [
  ...Object.values(batching),
  ...Object.values(forward),
  Checkpoint,
  Evaluate,
  Validate,
  ...Object.values(losses),
  ...Object.values(networks),
  ...Object.values(optimisers),
  ...Object.values(perturbations),
  ...Object.values(pseudoLabels),
  ...Object.values(schedules),
  ...Object.values(selection),
  ...Object.values(transforms),
  ...Object.values(weakLabels),
];

/** The browser's registry for one run: the browser stages, OpenedFilesDataset on `files`, and the Node-only stages by name. */
export function browserStageRegistry(files: OpenedFiles, extra: readonly StageClass[] = []): StageRegistry {
  return new StageRegistry([...browserStageClasses, openedFilesDataset(files), ...extra], nodeOnlyStages);
}
