import type * as tf from '@tensorflow/tfjs-core';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import {
  spatialLabelSmoothingLoss,
  spatialLabelSmoothingLossParams,
  type SpatialLabelSmoothingLossParams,
} from '../../losses/spatial-label-smoothing-loss.js';
import { oneHotFor } from './label-one-hot.js';
import { labelledLossInputs, lossOutputs } from './loss-stage-ports.js';

const spatialLabelSmoothingInputs = {
  ...labelledLossInputs,
  noisyMask: { type: 'tensor', optional: true, description: '1 where the label is suspected wrong [N, ...spatial]' },
} as const satisfies PortSpecs;

/** Spatial label smoothing: cross-entropy with labels smoothed where flagged noisy (Zhang, Gao et al., MICCAI 2020). */
export class SLSRLoss extends TensorStage<SpatialLabelSmoothingLossParams, typeof spatialLabelSmoothingInputs> {
  static readonly className = 'SLSRLoss';
  static readonly description = 'Cross-entropy with labels smoothed towards 1/2 at pixels flagged noisy';
  static readonly reference = 'Zhang, Gao et al. Characterizing Label Errors: Confident Learning for Noisy-Labeled Image Segmentation. MICCAI 2020';
  static readonly paramsSchema = spatialLabelSmoothingLossParams;
  static readonly inputs = spatialLabelSmoothingInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: InputsOf<typeof spatialLabelSmoothingInputs>): Record<string, tf.Tensor> {
    const oneHot = oneHotFor(inputs.prediction, inputs.label, this.nodeName);
    return {
      loss: spatialLabelSmoothingLoss(inputs.prediction, oneHot, {
        ...this.params,
        mask: inputs.mask,
        pixelWeight: inputs.pixelWeight,
        noisyMask: inputs.noisyMask,
      }),
    };
  }
}
