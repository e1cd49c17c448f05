import type { StageClass } from '../graph/stage.js';
import { stageModule } from '../graph/stage-registry.js';
import * as batching from './batching/index.js';
import * as datasets from './datasets/index.js';
import * as forward from './forward/index.js';
import * as hooks from './hooks/index.js';
import * as losses from './losses/index.js';
import * as networks from './networks/index.js';
import * as optimisers from './optimisers/index.js';
import * as perturbations from './perturbations/index.js';
import * as pseudoLabels from './pseudo-labels/index.js';
import * as schedules from './schedules/index.js';
import * as selection from './selection/index.js';
import * as transforms from './transforms/index.js';
import * as weakLabels from './weak-labels/index.js';

/** The stage families, by folder: each family's index.ts exports its stages, one alphabetical line each. */
export const stageFamilies: Readonly<Record<string, Readonly<Record<string, StageClass>>>> = {
  batching,
  datasets,
  forward,
  hooks,
  losses,
  networks,
  optimisers,
  perturbations,
  'pseudo-labels': pseudoLabels,
  schedules,
  selection,
  transforms,
  'weak-labels': weakLabels,
};

/** Every stage micflow ships, assembled from the families. */
export const builtInStageClasses: readonly StageClass[] = Object.values(stageFamilies).flatMap((family) => Object.values(family));

export const builtInStagesModule = stageModule(...builtInStageClasses);
