import { z } from 'zod';
import { NetworkStage, type NetworkState } from '../../graph/stage.js';
import { MultiNetwork } from '../../networks/multi-network.js';

const params = z.object({ inference: z.enum(['first', 'average']).default('first') }).strict();

/**
 * Several networks seen as one (PyMIC's MultiNet): one optimiser trains all of them, checkpoints hold all of them, and
 * inference uses the first one or their average.
 */
export class MultiNetStage extends NetworkStage<z.infer<typeof params>> {
  static readonly className = 'MultiNet';
  static readonly description = 'Wraps several networks as one: shared optimisation and checkpoints, inference from the first or the average';
  static readonly reference = 'PyMIC MultiNet (pymic/net/multi_net.py)';
  static readonly paramsSchema = params;
  static readonly inputs = { nets: { type: 'network', list: true, description: 'the member networks' } } as const;
  static readonly outputs = { net: { type: 'network', description: 'the wrapper (its variables are the members\')' } } as const;

  override build(inputs: Readonly<Record<string, NetworkState | undefined>>): NetworkState {
    const members = (inputs.nets as unknown as readonly NetworkState[]).map((state) => state.network);
    return { node: this.nodeName, network: new MultiNetwork(this.nodeName, members, this.params.inference) };
  }
}
