import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { withoutGradient } from '../../runtime/ops/without-gradient.js';
import { oneHotFor } from '../losses/label-one-hot.js';

const params = z.object({}).strict();

const pixelCrossEntropyInputs = {
  prediction: { type: 'tensor', description: 'logits [N, ...spatial, C]' },
  label: { type: 'tensor', description: 'label map [N, ...spatial] int32' },
} as const satisfies PortSpecs;
const pixelCrossEntropyOutputs = { map: { type: 'tensor', description: 'cross-entropy per pixel [N, ...spatial], no gradient' } } as const satisfies PortSpecs;

/**
 * The cross-entropy of every pixel, −log softmax(z)_y (computed stably as logSumExp(z) − z_y), as a map without
 * gradient: what sample-selection methods rank pixels by. Co-teaching (Han et al., NeurIPS 2018) and the tri-network
 * (Zhang et al., MICCAI 2020) keep the pixels with small cross-entropy; PyMIC's NLLCoTeaching and NLLTriNet compute it
 * as −log(0.999 p_y + 5e-4), a monotone function of p_y like this one, so the two order pixels alike.
 */
export class PixelCrossEntropy extends TensorStage<z.infer<typeof params>, typeof pixelCrossEntropyInputs> {
  static readonly className = 'PixelCrossEntropy';
  static readonly description = 'Per-pixel cross-entropy map of logits against a label map (no gradient), for ranking pixels by loss';
  static readonly reference = 'Han et al. Co-teaching. NeurIPS 2018 (small-loss criterion)';
  static readonly paramsSchema = params;
  static readonly inputs = pixelCrossEntropyInputs;
  static readonly outputs = pixelCrossEntropyOutputs;

  override compute(inputs: InputsOf<typeof pixelCrossEntropyInputs>): Record<string, tf.Tensor> {
    const prediction = inputs.prediction;
    const oneHot = oneHotFor(prediction, inputs.label, this.nodeName);
    const classAxis = prediction.rank - 1;
    return {
      map: withoutGradient([prediction], (logits) => tf.sub(tf.logSumExp(logits, classAxis), tf.sum(tf.mul(logits, oneHot), classAxis))),
    };
  }
}
