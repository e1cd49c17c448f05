import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import { NetworkStage, type NetworkState } from '../../graph/stage.js';
import type { SegmentationNetwork } from '../../networks/segmentation-network.js';

const params = z
  .object({
    /** EMA decay α: teacher ← α·teacher + (1 − α)·student after every step. */
    decay: z.number().min(0).lt(1).default(0.99),
    /** Use α_t = min(1 − 1/(t + 1), decay) so the teacher follows the student closely at first (Tarvainen & Valpola). */
    warmUp: z.boolean().default(true),
  })
  .strict();

/**
 * An exponential-moving-average copy of another network (the mean teacher of Tarvainen & Valpola, "Mean teachers are
 * better role models", NeurIPS 2017). It starts as an exact copy of its source and, after every optimiser step, moves
 * each trainable variable in place: θ′ ← α θ′ + (1 − α) θ. Its batch-norm running statistics are its own, updated by its
 * own training-mode forward passes, as in the reference implementation. (PyMIC's EMA update rebinds a local name and
 * silently leaves the teacher unchanged; here the update is an in-place assign and a test checks that it moves.)
 */
export class EmaCopy extends NetworkStage<z.infer<typeof params>> {
  static readonly className = 'EmaCopy';
  static readonly description = 'Exponential moving average copy of a network, updated in place after every step (mean teacher)';
  static readonly reference = 'Tarvainen & Valpola. Mean teachers are better role models. NeurIPS 2017';
  static readonly paramsSchema = params;
  static readonly inputs = { of: { type: 'network', description: 'the network to follow (the student)' } } as const;
  static readonly outputs = { net: { type: 'network', description: 'the averaged copy (the teacher)' } } as const;

  private source?: SegmentationNetwork;
  private copy?: SegmentationNetwork;

  override build(inputs: Readonly<Record<string, NetworkState | undefined>>): NetworkState {
    const of = inputs.of!;
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
