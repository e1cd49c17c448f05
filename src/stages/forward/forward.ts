import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import { TensorStage, type NetworkState, type TensorInputs, type TickContext } from '../../graph/stage.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    /** Training mode: batch statistics and dropout. False runs the network as at inference. */
    training: z.boolean().default(true),
    /** Block gradients through this prediction (teacher outputs, pseudo-label sources). */
    stopGradient: z.boolean().default(false),
  })
  .strict();

/** Runs a network on a batch of images inside the tick: logits and their softmax probabilities. */
export class Forward extends TensorStage<z.infer<typeof params>> {
  static readonly className = 'Forward';
  static readonly description = 'Network forward pass on a batch: logits and softmax probabilities';
  static readonly paramsSchema = params;
  static readonly inputs = {
    net: { type: 'network', description: 'the network to run' },
    image: { type: 'tensor', description: 'images [N, H, W, C] or volumes [N, D, H, W, C]' },
  } as const;
  static readonly outputs = {
    logits: { type: 'tensor', description: 'logits [N, ...spatial, classes]' },
    prob: { type: 'tensor', description: 'softmax probabilities [N, ...spatial, classes]' },
  } as const;

  override compute(inputs: TensorInputs, tick: TickContext): Record<string, tf.Tensor> {
    const { network } = inputs.net as NetworkState;
    const image = inputs.image as tf.Tensor;
    if (image.rank !== 4 && image.rank !== 5) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": image input has shape [${image.shape}], expected [N, H, W, C] or [N, D, H, W, C]`);
    }
    let logits = network.apply(image as tf.Tensor4D, { training: this.params.training, random: tick.random });
    if (this.params.stopGradient) logits = stopGradient(logits);
    return { logits, prob: tf.softmax(logits) };
  }
}
