import type * as tf from '@tensorflow/tfjs-core';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { gatedCrfLoss, gatedCrfLossParams, type GatedCrfLossParams } from '../../losses/gated-crf-loss.js';
import { lossOutputs, unlabelledLossInputs } from './loss-stage-ports.js';

const gatedCrfInputs = {
  ...unlabelledLossInputs,
  image: { type: 'tensor', optional: true, description: 'images [N, H, W, K], needed by kernels with an image bandwidth' },
} as const satisfies PortSpecs;

/** Gated CRF loss (Potts) over a (2r + 1)^2 neighbourhood (Obukhov et al., arXiv:1906.04651, 2019), 2D. */
export class GatedCRFLoss extends TensorStage<GatedCrfLossParams, typeof gatedCrfInputs> {
  static readonly className = 'GatedCRFLoss';
  static readonly description = 'Gated CRF regulariser: neighbours with similar position / intensity should agree (2D)';
  static readonly reference = 'Obukhov, Georgoulis, Dai, Van Gool. Gated CRF Loss for Weakly Supervised Semantic Image Segmentation. arXiv 2019';
  static readonly paramsSchema = gatedCrfLossParams;
  static readonly inputs = gatedCrfInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: InputsOf<typeof gatedCrfInputs>): Record<string, tf.Tensor> {
    return { loss: gatedCrfLoss(inputs.prediction, inputs.image, { ...this.params, mask: inputs.mask, pixelWeight: inputs.pixelWeight }) };
  }
}
