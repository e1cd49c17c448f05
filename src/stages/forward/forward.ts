import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';
import { imageBatchOf } from '../../networks/segmentation-network.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    training: z.boolean().default(true).describe('Training mode: batch statistics and dropout; false runs the network as at inference'),
    stopGradient: z.boolean().default(false).describe('Block gradients through this prediction (teacher outputs, pseudo-label sources)'),
  })
  .strict();

const forwardInputs = {
  net: { type: 'network', description: 'the network to run' },
  image: { type: 'tensor', description: 'images [N, H, W, C] or volumes [N, D, H, W, C]' },
} as const satisfies PortSpecs;
const forwardOutputs = {
  logits: { type: 'tensor', description: 'logits [N, ...spatial, classes]' },
  prob: { type: 'tensor', description: 'softmax probabilities [N, ...spatial, classes]' },
} as const satisfies PortSpecs;

/** Runs a network on a batch of images inside the tick: logits and their softmax probabilities. */
export class Forward extends TensorStage<z.infer<typeof params>, typeof forwardInputs> {
  static readonly className = 'Forward';
  static readonly description = 'Network forward pass on a batch: logits and softmax probabilities';
  static readonly paramsSchema = params;
  static readonly inputs = forwardInputs;
  static readonly outputs = forwardOutputs;

  override compute(inputs: InputsOf<typeof forwardInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { network } = inputs.net;
    const image = imageBatchOf(inputs.image, `node "${this.nodeName}": image input`);
    let logits = network.apply(image, { training: this.params.training, random: tick.random });
    if (this.params.stopGradient) logits = stopGradient(logits);
    return { logits, prob: tf.softmax(logits) };
  }
}
