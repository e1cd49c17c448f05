import type { StageClass } from '../graph/stage.js';
import { stageModule } from '../graph/stage-registry.js';
import { Batch } from './batching/batch.js';
import { CsvDataset } from './datasets/csv-dataset.js';
import { Forward } from './forward/forward.js';
import { ForwardHeads } from './forward/forward-heads.js';
import { MonteCarloForward } from './forward/monte-carlo-forward.js';
import { Checkpoint } from './hooks/checkpoint.js';
import { Evaluate } from './hooks/evaluate.js';
import { EvaluateSegmentation } from './hooks/evaluate-segmentation.js';
import { Validate } from './hooks/validate.js';
import { CrossEntropyLoss } from './losses/cross-entropy-loss-stage.js';
import { DiceLoss } from './losses/dice-loss-stage.js';
import { WeightedSum } from './losses/weighted-sum.js';
import { ArsTverskyLoss } from './losses/ars-tversky-loss-stage.js';
import { BinaryDiceLoss } from './losses/binary-dice-loss-stage.js';
import { DeepSupervisionLoss } from './losses/deep-supervision-loss-stage.js';
import { EntropyLoss } from './losses/entropy-loss-stage.js';
import { ExpLogLoss } from './losses/exp-log-loss-stage.js';
import { FocalDiceLoss } from './losses/focal-dice-loss-stage.js';
import { GatedCRFLoss } from './losses/gated-crf-loss-stage.js';
import { GeneralizedCrossEntropyLoss } from './losses/generalized-cross-entropy-loss-stage.js';
import { GroupDiceLoss } from './losses/group-dice-loss-stage.js';
import { MAELoss } from './losses/mean-absolute-error-loss-stage.js';
import { MSELoss } from './losses/mean-squared-error-loss-stage.js';
import { MumfordShahLoss } from './losses/mumford-shah-loss-stage.js';
import { NoiseRobustDiceLoss } from './losses/noise-robust-dice-loss-stage.js';
import { SLSRLoss } from './losses/spatial-label-smoothing-loss-stage.js';
import { TotalVariationLoss } from './losses/total-variation-loss-stage.js';
import { UNet2DStage } from './networks/unet2d-stage.js';
import { UNet3DStage } from './networks/unet3d-stage.js';
import { UNet2D5Stage } from './networks/unet2d5-stage.js';
import { UNet2DScSEStage } from './networks/unet2d-scse-stage.js';
import { UNet3DScSEStage } from './networks/unet3d-scse-stage.js';
import { AttentionUNet2DStage } from './networks/attention-unet2d-stage.js';
import { NestedUNet2DStage } from './networks/nested-unet2d-stage.js';
import { DualBranchUNet2DStage } from './networks/dual-branch-unet2d-stage.js';
import { DualBranchUNet3DStage } from './networks/dual-branch-unet3d-stage.js';
import { MultiNetStage } from './networks/multi-net-stage.js';
import { CctUNet2DStage } from './networks/cct-unet2d-stage.js';
import { COPLENetStage } from './networks/coplenet-stage.js';
import { CANetStage } from './networks/canet-stage.js';
import { MultiDecoderUNet2DStage } from './networks/multi-decoder-unet2d-stage.js';
import { EmaCopy } from './networks/ema-copy.js';
import { SigmoidRampup } from './schedules/sigmoid-rampup.js';
import { LinearRampup } from './schedules/linear-rampup.js';
import { PixelCrossEntropy } from './selection/pixel-cross-entropy.js';
import { SmallLossSelection } from './selection/small-loss-selection.js';
import { ConfidentLearningMask } from './selection/confident-learning-mask.js';
import { DivergenceAwareSelection } from './selection/divergence-aware-selection.js';
import { DroppedFractionByClass } from './selection/dropped-fraction-by-class.js';
import { SharpenedVoteLabel } from './pseudo-labels/sharpened-vote-label.js';
import { InputNoise } from './perturbations/input-noise.js';
import { ConsistencyLoss } from './losses/consistency-loss-stage.js';
import { PyramidConsistencyLoss } from './losses/pyramid-consistency-loss-stage.js';
import { ArgmaxPseudoLabel } from './pseudo-labels/argmax-pseudo-label.js';
import { DynamicMixPseudoLabel } from './pseudo-labels/dynamic-mix-pseudo-label.js';
import { PartialLabelMask } from './weak-labels/partial-label-mask.js';
import { SoftCrossEntropyLoss } from './losses/soft-cross-entropy-loss-stage.js';
import { RandomRot90Pair } from './perturbations/random-rot90-pair.js';
import { PredictiveEntropy } from './pseudo-labels/predictive-entropy.js';
import { SharpenProbabilities } from './pseudo-labels/sharpen-probabilities.js';
import { UncertaintyMask } from './pseudo-labels/uncertainty-mask.js';
import { Adam } from './optimisers/adam.js';
import { NormalizeWithMeanStd } from './transforms/normalize-with-mean-std.js';
import { RandomCrop } from './transforms/random-crop.js';
import { RandomFlip } from './transforms/random-flip.js';
import { Pad } from './transforms/pad.js';
import { CenterCrop } from './transforms/center-crop.js';
import { RandomResizedCrop } from './transforms/random-resized-crop.js';
import { RandomSlice } from './transforms/random-slice.js';
import { CropWithBoundingBox } from './transforms/crop-with-bounding-box.js';
import { CropWithForeground } from './transforms/crop-with-foreground.js';
import { Rescale } from './transforms/rescale.js';
import { RandomRescale } from './transforms/random-rescale.js';
import { Resample } from './transforms/resample.js';
import { RandomRotate } from './transforms/random-rotate.js';
import { RandomRot90 } from './transforms/random-rot90.js';
import { RandomTranspose } from './transforms/random-transpose.js';
import { Affine } from './transforms/random-affine.js';
import { ElasticDeformation } from './transforms/elastic-deformation.js';
import { NormalizeWithMinMax } from './transforms/normalize-with-min-max.js';
import { NormalizeWithPercentiles } from './transforms/normalize-with-percentiles.js';
import { IntensityClip } from './transforms/intensity-clip.js';
import { HistEqual } from './transforms/hist-equal.js';
import { GammaCorrection } from './transforms/gamma-correction.js';
import { GaussianNoise } from './transforms/gaussian-noise.js';
import { GaussianBlur } from './transforms/gaussian-blur.js';
import { BrightnessAdditive } from './transforms/brightness-additive.js';
import { BrightnessMultiplicative } from './transforms/brightness-multiplicative.js';
import { ContrastAdjust } from './transforms/contrast-adjust.js';
import { LabelConvert } from './transforms/label-convert.js';
import { LabelConvertNonzero } from './transforms/label-convert-nonzero.js';
import { LabelSelect } from './transforms/label-select.js';
import { LabelToProbability } from './transforms/label-to-probability.js';
import { PartialLabelToProbability } from './transforms/partial-label-to-probability.js';
import { LabelSmoothing } from './transforms/label-smoothing.js';

/** Every stage micflow ships. A new stage is one file plus one line here. */
export const builtInStageClasses: readonly StageClass[] = [
  CsvDataset,
  NormalizeWithMeanStd,
  RandomCrop,
  RandomFlip,
  Pad,
  CenterCrop,
  RandomResizedCrop,
  RandomSlice,
  CropWithBoundingBox,
  CropWithForeground,
  Rescale,
  RandomRescale,
  Resample,
  RandomRotate,
  RandomRot90,
  RandomTranspose,
  Affine,
  ElasticDeformation,
  NormalizeWithMinMax,
  NormalizeWithPercentiles,
  IntensityClip,
  HistEqual,
  GammaCorrection,
  GaussianNoise,
  GaussianBlur,
  BrightnessAdditive,
  BrightnessMultiplicative,
  ContrastAdjust,
  LabelConvert,
  LabelConvertNonzero,
  LabelSelect,
  LabelToProbability,
  PartialLabelToProbability,
  LabelSmoothing,
  Batch,
  UNet2DStage,
  UNet3DStage,
  UNet2D5Stage,
  UNet2DScSEStage,
  UNet3DScSEStage,
  AttentionUNet2DStage,
  NestedUNet2DStage,
  DualBranchUNet2DStage,
  DualBranchUNet3DStage,
  MultiNetStage,
  CctUNet2DStage,
  COPLENetStage,
  CANetStage,
  MultiDecoderUNet2DStage,
  EmaCopy,
  SigmoidRampup,
  LinearRampup,
  InputNoise,
  ConsistencyLoss,
  PyramidConsistencyLoss,
  ArgmaxPseudoLabel,
  SharpenedVoteLabel,
  PixelCrossEntropy,
  SmallLossSelection,
  DroppedFractionByClass,
  ConfidentLearningMask,
  DivergenceAwareSelection,
  DynamicMixPseudoLabel,
  PartialLabelMask,
  SoftCrossEntropyLoss,
  RandomRot90Pair,
  PredictiveEntropy,
  SharpenProbabilities,
  UncertaintyMask,
  Forward,
  ForwardHeads,
  MonteCarloForward,
  DiceLoss,
  CrossEntropyLoss,
  WeightedSum,
  ArsTverskyLoss,
  BinaryDiceLoss,
  DeepSupervisionLoss,
  EntropyLoss,
  ExpLogLoss,
  FocalDiceLoss,
  GatedCRFLoss,
  GeneralizedCrossEntropyLoss,
  GroupDiceLoss,
  MAELoss,
  MSELoss,
  MumfordShahLoss,
  NoiseRobustDiceLoss,
  SLSRLoss,
  TotalVariationLoss,
  Adam,
  Validate,
  Checkpoint,
  Evaluate,
  EvaluateSegmentation,
];

export const builtInStagesModule = stageModule(...builtInStageClasses);
