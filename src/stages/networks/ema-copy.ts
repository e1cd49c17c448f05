import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { NetworkStage, type InputsOf, type NetworkState } from '../../graph/stage.js';
import type { SegmentationNetwork } from '../../networks/segmentation-network.js';

const params = z
  .object({
    decay: z
      .number()
      .min(0)
      .lt(1)
      .default(0.99)
      .describe('EMA decay α in [0, 1): teacher ← α·teacher + (1 − α)·student after every step (PyMIC ema_decay)'),
    warmUp: z
      .boolean()
      .default(true)
      .describe('Use α_t = min(1 − 1/(t + 1), decay) at step t, so that the teacher follows the student closely at first (Tarvainen & Valpola)'),
  })
  .strict();
export type EmaCopyParams = z.output<typeof params>;

const emaCopyInputs = { of: { type: 'network', description: 'the network to follow (the student)' } } as const satisfies PortSpecs;
const emaCopyOutputs = { net: { type: 'network', description: 'the averaged copy (the teacher)' } } as const satisfies PortSpecs;

/**
 * An exponential-moving-average copy of another network (the mean teacher of Tarvainen & Valpola, "Mean teachers are
 * better role models", NeurIPS 2017). It starts as an exact copy of its source and, after every optimiser step, moves
 * each trainable variable in place: θ′ ← α θ′ + (1 − α) θ. Its batch-norm running statistics are its own, updated by its
 * own training-mode forward passes, as in the reference implementation. (PyMIC's EMA update rebinds a local name and
 * silently leaves the teacher unchanged; here the update is an in-place assign and a test checks that it moves.)
 */
export class EmaCopy extends NetworkStage<EmaCopyParams, typeof emaCopyInputs> {
  static readonly className = 'EmaCopy';
  static readonly description = 'Exponential moving average copy of a network, updated in place after every step (mean teacher)';
  static readonly reference = 'Tarvainen & Valpola. Mean teachers are better role models. NeurIPS 2017';
  static readonly paramsSchema = params;
  static readonly inputs = emaCopyInputs;
  static readonly outputs = emaCopyOutputs;

  private source?: SegmentationNetwork;
  private copy?: SegmentationNetwork;

  override build(inputs: InputsOf<typeof emaCopyInputs>): NetworkState {
    const { of } = inputs;
    if (!of.createLike) {
      throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": network "${of.node}" cannot be copied (its stage does not provide createLike)`);
    }
    this.source = of.network;
    this.copy = of.createLike(this.nodeName, this.context.random.derive('init'));
    const sources = [...of.network.trainableVariables, ...of.network.stateVariables];
    const targets = [...this.copy.trainableVariables, ...this.copy.stateVariables];
    if (sources.length !== targets.length) {
      throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": the copy of "${of.node}" has a different number of variables`);
    }
    targets.forEach((target, i) => target.assign(sources[i]));
    return { node: this.nodeName, network: this.copy, createLike: of.createLike };
  }

  /** The decay applied after step `iteration` (1-based). */
  decayAt(iteration: number): number {
    return this.params.warmUp ? Math.min(1 - 1 / (iteration + 1), this.params.decay) : this.params.decay;
  }

  override afterStep({ iteration }: { iteration: number }): void {
    const alpha = this.decayAt(iteration);
    const students = this.source!.trainableVariables;
    this.copy!.trainableVariables.forEach((teacher, i) => {
      tf.tidy(() => teacher.assign(tf.add(tf.mul(teacher, alpha), tf.mul(students[i], 1 - alpha))));
    });
  }

  override dispose(): void {
    this.copy?.dispose();
  }
}
