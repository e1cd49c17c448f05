import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../errors/micflow-error.js';
import type { SampleStream } from './sample.js';
import type { NetworkState, UntypedInputs } from './stage.js';
import type { ValidatedNode } from './validated-pipeline.js';

/** What the sources of a node's inputs resolve to at one moment of the run. */
export interface PortValues {
  /** Sample streams keyed `node.port`. */
  readonly streams: ReadonlyMap<string, SampleStream>;
  /** Network states keyed by the node that owns them. */
  readonly networks: ReadonlyMap<string, NetworkState>;
  /** Tensors of the current tick, keyed `node.port`; absent outside a tick. */
  readonly tensors?: ReadonlyMap<string, tf.Tensor>;
}

/**
 * A node's inputs, port by port, as its stage's methods receive them: one value for a plain port, an array for a list
 * port, nothing for an unwired optional port. Constants (allowed on scalar ports only) become scalars.
 */
export function resolveNodeInputs(node: ValidatedNode, values: PortValues): UntypedInputs {
  const out: Record<string, unknown> = {};
  for (const [port, sources] of Object.entries(node.inputs)) {
    const spec = node.stageClass.inputs[port];
    const items = sources.map((source) => {
      if (source.kind === 'constant') return tf.scalar(source.value);
      const key = `${source.node}.${source.port}`;
      if (spec.type === 'network') return values.networks.get(source.node);
      if (spec.type === 'samples') return values.streams.get(key);
      const tensor = values.tensors?.get(key);
      if (!tensor) {
        throw new MicflowError('stage-failed', `node "${node.name}" input "${port}": "${key}" has no value this tick (an unlabelled batch has no label)`);
      }
      return tensor;
    });
    out[port] = spec.list ? items : items[0];
  }
  return out;
}
