import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { ImageBatch, MultiHeadSegmentationNetwork, NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

/** How a MultiNetwork answers `apply`: the first member's logits, or the mean of all members' logits. */
export type MultiNetworkInference = 'first' | 'average';

/**
 * PyMIC's MultiNet (pymic/net/multi_net.py): several segmentation networks trained together (co-training, cross
 * pseudo supervision, co-teaching) and seen as one for optimisation and checkpoints: its variables are the members'
 * (the members stay owned by whoever built them: disposing the wrapper does not dispose them). `apply` gives the
 * first member's logits or the mean of all members' logits (PyMIC's `infer_mode`); {@link MultiNetwork.applyAll}
 * gives every member's logits for training.
 */
export class MultiNetwork implements MultiHeadSegmentationNetwork {
  static className = 'MultiNet';
  readonly className = MultiNetwork.className;

  constructor(
    readonly name: string,
    readonly members: readonly SegmentationNetwork[],
    readonly inference: MultiNetworkInference = 'first',
  ) {
    if (members.length === 0) throw new MicflowError('invalid-argument', `MultiNet ${name} needs at least one network`);
    const names = members.map((m) => m.name);
    if (new Set(names).size !== names.length) throw new MicflowError('invalid-argument', `MultiNet ${name} lists a network twice: [${names}]`);
  }

  get trainableVariables(): readonly tf.Variable[] {
    return this.members.flatMap((m) => m.trainableVariables);
  }

  get stateVariables(): readonly tf.Variable[] {
    return this.members.flatMap((m) => m.stateVariables);
  }

  parameterCount(): number {
    return this.members.reduce((sum, m) => sum + m.parameterCount(), 0);
  }

  apply(x: ImageBatch, opts: NetworkApplyOptions): ImageBatch {
    if (this.inference === 'first') return this.members[0].apply(x, opts);
    return tf.tidy(() => {
      const outputs = this.applyAll(x, opts);
      return tf.div(outputs.length === 1 ? outputs[0] : tf.addN(outputs), outputs.length) as ImageBatch;
    });
  }

  /** Every member's logits, in member order. Each member draws dropout from its own derived random stream. */
  /** One head per member: 'member0', 'member1', ... */
  get headNames(): readonly string[] {
    return this.members.map((_, i) => `member${i}`);
  }

  /** Every member's logits (the same as applyAll), for ForwardHeads. */
  applyHeads(x: ImageBatch, opts: NetworkApplyOptions): ImageBatch[] {
    return this.applyAll(x, opts);
  }

  applyAll(x: ImageBatch, opts: NetworkApplyOptions): ImageBatch[] {
    return this.members.map((m, i) => m.apply(x, { ...opts, random: opts.random?.derive('member', i) }));
  }

  /** The members belong to their own stages; nothing to release here. */
  dispose(): void {}
}
