import type { StageClass } from '../graph/stage.js';
import { stageModule } from '../graph/stage-registry.js';
import { Batch } from './batching/batch.js';
import { CsvDataset } from './datasets/csv-dataset.js';
import { Forward } from './forward/forward.js';
import { Checkpoint } from './hooks/checkpoint.js';
import { Evaluate } from './hooks/evaluate.js';
import { Validate } from './hooks/validate.js';
import { CrossEntropyLoss } from './losses/cross-entropy-loss-stage.js';
import { DiceLoss } from './losses/dice-loss-stage.js';
import { WeightedSum } from './losses/weighted-sum.js';
import { UNet2DStage } from './networks/unet2d-stage.js';
import { Adam } from './optimisers/adam.js';
import { NormalizeWithMeanStd } from './transforms/normalize-with-mean-std.js';
import { RandomCrop } from './transforms/random-crop.js';
import { RandomFlip } from './transforms/random-flip.js';

/** Every stage micflow ships. A new stage is one file plus one line here. */
export const builtInStageClasses: readonly StageClass[] = [
  CsvDataset,
  NormalizeWithMeanStd,
  RandomCrop,
  RandomFlip,
  Batch,
  UNet2DStage,
  Forward,
  DiceLoss,
  CrossEntropyLoss,
  WeightedSum,
  Adam,
  Validate,
  Checkpoint,
  Evaluate,
];

export const builtInStagesModule = stageModule(...builtInStageClasses);
