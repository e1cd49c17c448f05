import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { NetworkStage, type InputsOf, type NetworkState } from '../../graph/stage.js';
import { MultiNetwork } from '../../networks/multi-network.js';

const params = z
  .object({
    inference: z
      .enum(['first', 'average'])
      .default('first')
      .describe("What the wrapper outputs at inference: the first member's logits or the mean of all members' logits (PyMIC infer_mode)"),
  })
  .strict();
export type MultiNetParams = z.output<typeof params>;

const multiNetInputs = { nets: { type: 'network', list: true, description: 'the member networks' } } as const satisfies PortSpecs;
const multiNetOutputs = { net: { type: 'network', description: "the wrapper (its variables are the members')" } } as const satisfies PortSpecs;

/**
 * Several networks seen as one (PyMIC's MultiNet): one optimiser trains all of them, checkpoints hold all of them, and
 * inference uses the first one or their average.
 */
export class MultiNetStage extends NetworkStage<MultiNetParams, typeof multiNetInputs> {
  static readonly className = 'MultiNet';
  static readonly description = 'Wraps several networks as one: shared optimisation and checkpoints, inference from the first or the average';
  static readonly reference = 'PyMIC MultiNet (pymic/net/multi_net.py)';
  static readonly paramsSchema = params;
  static readonly inputs = multiNetInputs;
  static readonly outputs = multiNetOutputs;

  override build(inputs: InputsOf<typeof multiNetInputs>): NetworkState {
    const members = inputs.nets.map((state) => state.network);
    return { node: this.nodeName, network: new MultiNetwork(this.nodeName, members, this.params.inference) };
  }
}
