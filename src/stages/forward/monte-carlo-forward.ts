import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';
import { imageBatchOf } from '../../networks/segmentation-network.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

/** Added inside the logarithm of the entropy, as UA-MT and PyMIC (log(p + 1e-6)). */
export const ENTROPY_EPSILON = 1e-6;

const params = z
  .object({
    passes: z.number().int().min(1).max(64).default(8).describe("Number K of stochastic forward passes, 1–64 (UA-MT and PyMIC's `uamt_mcdroput_n`: 8)"),
    noiseStd: z
      .number()
      .min(0)
      .default(0.1)
      .describe('Standard deviation of the Gaussian noise added to the input of every pass, in image intensity units (0: none, dropout alone)'),
    noiseClip: z.number().positive().default(0.2).describe('The input noise is clipped to [−noiseClip, noiseClip]'),
    training: z.boolean().default(true).describe('Training mode: dropout (the "MC" in MC dropout) and batch statistics, as the UA-MT teacher'),
    stopGradient: z.boolean().default(true).describe("Block gradients through the estimate (on by default: it is a teacher's opinion)"),
  })
  .strict();

const monteCarloForwardInputs = {
  net: { type: 'network', description: 'the network to sample (the EMA teacher in UA-MT)' },
  image: { type: 'tensor', description: 'images [N, H, W, C] or volumes [N, D, H, W, C]' },
} as const satisfies PortSpecs;
const monteCarloForwardOutputs = {
  meanProb: { type: 'tensor', description: 'mean softmax probability over the passes [N, ...spatial, classes]' },
  entropy: { type: 'tensor', description: 'predictive entropy of meanProb in nats [N, ...spatial]' },
} as const satisfies PortSpecs;

/**
 * The predictive entropy −Σ_c p̄_c log(p̄_c + 1e-6) of a mean probability map [N, ..., C], per pixel [N, ...]
 * (in nats; at most ln C).
 */
export function predictiveEntropy(meanProb: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(meanProb, tf.log(tf.add(meanProb, ENTROPY_EPSILON))), -1)));
}

/**
 * Monte Carlo estimate of a network's predictive distribution: K forward passes, each with its own dropout draw and
 * its own clipped Gaussian input noise, giving the mean softmax probability p̄ = (1/K) Σ_k softmax(f(x + ε_k)) and
 * the predictive entropy −Σ_c p̄_c log(p̄_c + 1e-6) per pixel — the uncertainty of the uncertainty-aware mean teacher
 * (Yu, Wang, Li, Fu, Heng, "Uncertainty-aware self-ensembling model for semi-supervised 3D left atrium segmentation",
 * MICCAI 2019; PyMIC's SSLUncertaintyAwareMeanTeacher; MC dropout after Gal & Ghahramani, ICML 2016). Pass k draws
 * from the tick's randomness derived with k, so the K passes differ and a run is reproducible.
 */
export class MonteCarloForward extends TensorStage<z.infer<typeof params>, typeof monteCarloForwardInputs> {
  static readonly className = 'MonteCarloForward';
  static readonly description = 'K stochastic forward passes (dropout + input noise): mean probability and predictive entropy';
  static readonly reference = 'Yu et al. Uncertainty-aware self-ensembling model for semi-supervised 3D left atrium segmentation. MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = monteCarloForwardInputs;
  static readonly outputs = monteCarloForwardOutputs;

  override compute(inputs: InputsOf<typeof monteCarloForwardInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { network } = inputs.net;
    const image = imageBatchOf(inputs.image, `node "${this.nodeName}": image input`);
    const { passes, noiseStd, noiseClip, training } = this.params;
    const probs: tf.Tensor[] = [];
    for (let k = 0; k < passes; k++) {
      const random = tick.random.derive('pass', k);
      let x = image;
      if (noiseStd > 0) {
        const noise = random.derive('noise').normalArray(image.size, 0, noiseStd).map((v) => Math.min(Math.max(v, -noiseClip), noiseClip));
        x = tf.add(image, tf.tensor(noise, image.shape, 'float32'));
      }
      probs.push(tf.softmax(network.apply(x, { training, random: random.derive('network') })));
    }
    let meanProb = probs.length === 1 ? probs[0] : tf.div(tf.addN(probs), passes);
    if (this.params.stopGradient) meanProb = stopGradient(meanProb);
    return { meanProb, entropy: predictiveEntropy(meanProb) };
  }
}
