/**
 * The losses family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage. A loss with the
 * usual ports is derived from its unit (src/losses/<loss>.ts: function, params schema, name, reference), so a new one
 * is that file plus one line here; stages with their own ports or behaviour are files of their own.
 */
import { arsTverskyLossUnit } from '../../losses/ars-tversky-loss.js';
import { binaryDiceLossUnit } from '../../losses/binary-dice-loss.js';
import { crossEntropyLossUnit } from '../../losses/cross-entropy-loss.js';
import { diceLossUnit } from '../../losses/dice-loss.js';
import { entropyLossUnit } from '../../losses/entropy-loss.js';
import { expLogLossUnit } from '../../losses/exp-log-loss.js';
import { focalDiceLossUnit } from '../../losses/focal-dice-loss.js';
import { generalizedCrossEntropyLossUnit } from '../../losses/generalized-cross-entropy-loss.js';
import { groupDiceLossUnit } from '../../losses/group-dice-loss.js';
import { meanAbsoluteErrorLossUnit } from '../../losses/mean-absolute-error-loss.js';
import { meanSquaredErrorLossUnit } from '../../losses/mean-squared-error-loss.js';
import { noiseRobustDiceLossUnit } from '../../losses/noise-robust-dice-loss.js';
import { totalVariationLossUnit } from '../../losses/total-variation-loss.js';
import { tverskyLossUnit } from '../../losses/tversky-loss.js';
import { labelledLossStage } from './labelled-loss-stage.js';
import { unlabelledLossStage } from './unlabelled-loss-stage.js';

export const ArsTverskyLoss = labelledLossStage(arsTverskyLossUnit);
export const BinaryDiceLoss = labelledLossStage(binaryDiceLossUnit);
export { ConsistencyLoss } from './consistency-loss-stage.js';
export const CrossEntropyLoss = labelledLossStage(crossEntropyLossUnit);
export { DeepSupervisionLoss } from './deep-supervision-loss-stage.js';
export const DiceLoss = labelledLossStage(diceLossUnit);
export const EntropyLoss = unlabelledLossStage(entropyLossUnit);
export const ExpLogLoss = labelledLossStage(expLogLossUnit);
export const FocalDiceLoss = labelledLossStage(focalDiceLossUnit);
export { GatedCRFLoss } from './gated-crf-loss-stage.js';
export const GeneralizedCrossEntropyLoss = labelledLossStage(generalizedCrossEntropyLossUnit);
export const GroupDiceLoss = labelledLossStage(groupDiceLossUnit);
export const MAELoss = labelledLossStage(meanAbsoluteErrorLossUnit);
export const MSELoss = labelledLossStage(meanSquaredErrorLossUnit);
export { MumfordShahLoss } from './mumford-shah-loss-stage.js';
export const NoiseRobustDiceLoss = labelledLossStage(noiseRobustDiceLossUnit);
export { PyramidConsistencyLoss } from './pyramid-consistency-loss-stage.js';
export { SLSRLoss } from './spatial-label-smoothing-loss-stage.js';
export { SoftCrossEntropyLoss } from './soft-cross-entropy-loss-stage.js';
export const TotalVariationLoss = unlabelledLossStage(totalVariationLossUnit);
export const TverskyLoss = labelledLossStage(tverskyLossUnit);
export { WeightedSum } from './weighted-sum.js';
