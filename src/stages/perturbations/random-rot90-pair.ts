import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';

const params = z
  .object({
    turns: z
      .number()
      .int()
      .min(0)
      .max(3)
      .nullable()
      .default(null)
      .describe('A fixed number of quarter turns (0–3); null (default): 0, 1, 2 or 3 drawn uniformly every tick'),
  })
  .strict();

const randomRot90PairInputs = {
  first: { type: 'tensor', description: 'a channels-last tensor [N, H, W, C] (e.g. the image the teacher will see)' },
  second: { type: 'tensor', description: 'another one of the same spatial size (e.g. the student probabilities)' },
} as const satisfies PortSpecs;
const randomRot90PairOutputs = {
  first: { type: 'tensor', description: 'first, rotated' },
  second: { type: 'tensor', description: 'second, rotated by the same turns' },
  turns: { type: 'scalar', description: 'the quarter turns of this tick (0–3)' },
} as const satisfies PortSpecs;

/**
 * Rotates a channels-last tensor [N, ..., H, W, C] by `turns` quarter turns in its last two spatial axes (H, W),
 * as PyTorch's `torch.rot90(x, turns, dims=[H, W])`: one turn reverses W, then swaps H and W; two reverse both; three
 * reverse H, then swap. Differentiable (reverse and transpose).
 */
export function rot90(x: tf.Tensor, turns: number): tf.Tensor {
  const h = x.rank - 3;
  const w = x.rank - 2;
  const swap = x.shape.map((_, i) => (i === h ? w : i === w ? h : i));
  switch (((turns % 4) + 4) % 4) {
    case 0:
      return tf.clone(x);
    case 1:
      return tf.transpose(tf.reverse(x, w), swap);
    case 2:
      return tf.reverse(x, [h, w]);
    default:
      return tf.transpose(tf.reverse(x, h), swap);
  }
}

/**
 * Rotates two tensors by the same random multiple of 90° in the spatial plane, one draw per tick: the transformation
 * consistency of USTM (Liu et al., "Weakly supervised segmentation of COVID19 infection with scribble annotation on CT
 * images", Pattern Recognition 2022; PyMIC's WSLUSTM), where the teacher sees the rotated image and the student's
 * prediction on the unrotated image is rotated the same way before the two are compared. Wire the image to `first`
 * (then into the teacher) and the student's probabilities to `second`. Gradients flow through both.
 */
export class RandomRot90Pair extends TensorStage<z.infer<typeof params>, typeof randomRot90PairInputs> {
  static readonly className = 'RandomRot90Pair';
  static readonly description = 'Rotates two [N, H, W, C] tensors by the same random multiple of 90° (transformation consistency)';
  static readonly reference = 'Liu et al. Weakly supervised segmentation of COVID19 infection with scribble annotation on CT images. Pattern Recognition 2022';
  static readonly paramsSchema = params;
  static readonly inputs = randomRot90PairInputs;
  static readonly outputs = randomRot90PairOutputs;

  override compute(inputs: InputsOf<typeof randomRot90PairInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { first, second } = inputs;
    const spatial = (t: tf.Tensor) => t.shape.slice(1, -1).join('x');
    if (first.rank < 4 || first.rank !== second.rank || spatial(first) !== spatial(second) || first.shape[0] !== second.shape[0]) {
      throw new MicflowError(
        'invalid-shape',
        `node "${this.nodeName}": first [${first.shape}] and second [${second.shape}] must be channels-last tensors of one batch and spatial size`,
      );
    }
    const turns = this.params.turns ?? tick.random.integer(4);
    return { first: rot90(first, turns), second: rot90(second, turns), turns: tf.scalar(turns) };
  }
}
