import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';
import { predictiveEntropy } from '../forward/monte-carlo-forward.js';

const params = z.object({}).strict();

const predictiveEntropyInputs = { prob: { type: 'tensor', description: 'probabilities [N, ...spatial, C]' } } as const satisfies PortSpecs;
const predictiveEntropyOutputs = { entropy: { type: 'tensor', description: 'entropy per pixel in nats [N, ...spatial]' } } as const satisfies PortSpecs;

/**
 * The per-pixel entropy −Σ_c p_c log(p_c + 1e-6) (nats, at most ln C) of a probability map, without gradient: the
 * uncertainty of an ensemble's mean prediction, e.g. the mean of a dual-branch network's two heads (ForwardHeads'
 * `meanProb`), which DMSPS thresholds at 0.1 ln C to keep only confident pixels as expanded seeds (Han et al., "DMSPS:
 * Dynamically mixed soft pseudo-label supervision for scribble-supervised medical image segmentation", Medical Image
 * Analysis 2024; PyMIC's WSLDMSPS `dmsps_uncertainty_threshold`). Feed it to UncertaintyMask. For Monte Carlo dropout
 * passes, MonteCarloForward gives the same entropy of its own mean.
 */
export class PredictiveEntropy extends TensorStage<z.infer<typeof params>, typeof predictiveEntropyInputs> {
  static readonly className = 'PredictiveEntropy';
  static readonly description = 'Per-pixel entropy (nats) of a probability map, no gradient: the uncertainty of a mean prediction';
  static readonly reference = 'Han et al. DMSPS. Medical Image Analysis 2024; Yu et al. (UA-MT) MICCAI 2019';
  static readonly paramsSchema = params;
  static readonly inputs = predictiveEntropyInputs;
  static readonly outputs = predictiveEntropyOutputs;

  override compute(inputs: InputsOf<typeof predictiveEntropyInputs>): Record<string, tf.Tensor> {
    return { entropy: predictiveEntropy(stopGradient(inputs.prob)) };
  }
}
