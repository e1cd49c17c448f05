import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';

const params = z
  .object({
    classes: z.number().int().min(2).describe('Number of classes C (at least 2): thresholds are fractions of ln C, the largest possible entropy'),
    threshold: z.number().min(0).default(0.75).describe("Threshold as a fraction of ln C when the ramp is 0 (or not wired): UA-MT's 0.75"),
    rampedThreshold: z
      .number()
      .min(0)
      .default(1)
      .describe("Threshold as a fraction of ln C when the ramp reaches 1: UA-MT's 1 (every pixel below the maximum entropy)"),
  })
  .strict();

const uncertaintyMaskInputs = {
  uncertainty: { type: 'tensor', description: 'per-pixel uncertainty in nats [N, ...spatial] (e.g. predictive entropy)' },
  ramp: { type: 'scalar', optional: true, description: 'ramp value in [0, 1] moving the threshold from `threshold` to `rampedThreshold`' },
} as const satisfies PortSpecs;
const uncertaintyMaskOutputs = {
  mask: { type: 'tensor', description: '1 where the uncertainty is below the threshold, 0 elsewhere [N, ...spatial] float32' },
  threshold: { type: 'scalar', description: 'the threshold at this tick, in nats' },
  keptFraction: { type: 'scalar', description: 'fraction of pixels in the mask' },
} as const satisfies PortSpecs;

/**
 * The threshold (in nats) UA-MT uses at ramp value r: (a + (b − a) r) ln C, with a = `threshold`, b = `rampedThreshold`;
 * (0.75 + 0.25 r) ln C with the defaults, as Yu et al. and PyMIC's SSLUncertaintyAwareMeanTeacher.
 */
export function uncertaintyThreshold(ramp: number, classes: number, threshold = 0.75, rampedThreshold = 1): number {
  return (threshold + (rampedThreshold - threshold) * ramp) * Math.log(classes);
}

/**
 * A mask of the pixels whose uncertainty (predictive entropy in nats, e.g. MonteCarloForward's `entropy`) is below a
 * threshold that may rise with training: mask = 1 where u < (a + (b − a) r) ln C, r the optional `ramp` input (a
 * SigmoidRampup with max 1), 0 elsewhere. The uncertainty-aware mean teacher (Yu, Wang, Li, Fu, Heng, "Uncertainty-aware
 * self-ensembling model for semi-supervised 3D left atrium segmentation", MICCAI 2019; PyMIC's
 * SSLUncertaintyAwareMeanTeacher) keeps only these pixels in its consistency loss. No gradient flows through the mask.
 */
export class UncertaintyMask extends TensorStage<z.infer<typeof params>, typeof uncertaintyMaskInputs> {
  static readonly className = 'UncertaintyMask';
  static readonly description = 'Mask of pixels whose entropy is below a (ramped) fraction of ln C (UA-MT), with the threshold and kept fraction';
  static readonly reference = 'Yu et al. Uncertainty-aware self-ensembling model for semi-supervised 3D left atrium segmentation. MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = uncertaintyMaskInputs;
  static readonly outputs = uncertaintyMaskOutputs;

  override compute(inputs: InputsOf<typeof uncertaintyMaskInputs>): Record<string, tf.Tensor> {
    const { classes, threshold, rampedThreshold } = this.params;
    const ramp = inputs.ramp ?? tf.scalar(0);
    const nats = tf.mul(tf.add(threshold, tf.mul(rampedThreshold - threshold, ramp)), Math.log(classes));
    const mask = belowOffTape(inputs.uncertainty, nats);
    return { mask, threshold: nats, keptFraction: tf.mean(mask) };
  }
}

/**
 * 1 where u < t, else 0 (float32), as one op with zero gradients whose comparison stays off the tape: tfjs has no
 * gradient for Less, so recording it would break backpropagation whenever u comes from a trained network.
 */
const belowOffTape = (u: tf.Tensor, t: tf.Tensor): tf.Tensor =>
  tf.customGrad((...args) => {
    const [x, limit] = args as tf.Tensor[];
    return { value: tf.cast(tf.less(x, limit), 'float32'), gradFunc: () => [tf.zerosLike(x), tf.zerosLike(limit)] };
  })(u, t);
