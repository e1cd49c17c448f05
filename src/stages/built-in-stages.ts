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
export const stageFamilies = {
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
} satisfies Record<string, Readonly<Record<string, StageClass>>> as Readonly<Record<string, Readonly<Record<string, StageClass>>>>;

/** What each family holds, for listings and the generated stage reference (docs/stages.md). */
export const stageFamilyTitles: Readonly<Record<string, string>> = {
  batching: 'Feeders: sample streams into batch tensors, one batch per training tick.',
  datasets: 'Datasets: sample streams read from case lists.',
  forward: 'Forward passes: a network applied to a batch inside a tick.',
  hooks: 'Hooks: validation, checkpoints and evaluation between ticks.',
  losses: 'Loss terms and their weighted sum.',
  networks: 'Networks: segmentation architectures and networks built from other networks (EMA copies, ensembles).',
  optimisers: 'Optimisers: differentiate a loss and step the networks it trains.',
  perturbations: 'Perturbations: noise and random transformations applied to tensors inside a tick.',
  'pseudo-labels': 'Pseudo labels and targets made from predictions (argmax, sharpening, votes, uncertainty).',
  schedules: 'Schedules: scalar weights that follow the iteration (ramp-ups).',
  selection: 'Sample and pixel selection for noisy labels (small-loss, confident learning, divergence), and its probes.',
  transforms: "Per-sample transforms: PyMIC's spatial, intensity and label transforms.",
  'weak-labels': 'Weak labels: partial (scribble) annotation masks.',
};

/** Every stage micflow ships, assembled from the families. */
export const builtInStageClasses: readonly StageClass[] = Object.values(stageFamilies).flatMap((family) => Object.values(family));

export const builtInStagesModule = stageModule(...builtInStageClasses);
