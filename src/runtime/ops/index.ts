export { conv2dSame } from './conv2d-same.js';
export {
  batchNormTraining,
  batchNormInference,
  updatedRunningStatistics,
  BATCH_NORM_EPSILON,
  type BatchNormStatistics,
  type BatchNormTrainingResult,
} from './batch-norm.js';
export { maxPool2x2 } from './max-pool-2x2.js';
export { upsample2x, upsampleMatrix, type Upsample2xMode } from './upsample-2x.js';
export { transposedConv2x2 } from './transposed-conv-2x2.js';
export { dropout, dropoutMask } from './dropout.js';
export { sumOfSquares } from './sum-of-squares.js';
