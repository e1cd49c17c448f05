import type * as tf from '@tensorflow/tfjs-core';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { mumfordShahLoss, mumfordShahLossParams, type MumfordShahLossParams } from '../../losses/mumford-shah-loss.js';
import { lossOutputs, unlabelledLossInputs } from './loss-stage-ports.js';

const mumfordShahInputs = {
  ...unlabelledLossInputs,
  image: { type: 'tensor', description: 'images [N, ...spatial, K]' },
} as const satisfies PortSpecs;

/** Mumford-Shah loss: piecewise-constant fit of the image plus a length term (Kim and Ye, IEEE TIP 2019). */
export class MumfordShahLoss extends TensorStage<MumfordShahLossParams, typeof mumfordShahInputs> {
  static readonly className = 'MumfordShahLoss';
  static readonly description = 'Mumford-Shah functional: intensity variance within each soft region plus lambda times its boundary length';
  static readonly reference = 'Kim, Ye. Mumford-Shah Loss Functional for Image Segmentation With Deep Learning. IEEE TIP 2019';
  static readonly paramsSchema = mumfordShahLossParams;
  static readonly inputs = mumfordShahInputs;
  static readonly outputs = lossOutputs;

  override compute(inputs: InputsOf<typeof mumfordShahInputs>): Record<string, tf.Tensor> {
    return { loss: mumfordShahLoss(inputs.prediction, inputs.image, { ...this.params, mask: inputs.mask, pixelWeight: inputs.pixelWeight }) };
  }
}
