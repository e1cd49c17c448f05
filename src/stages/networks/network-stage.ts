import type { PortSpecs } from '../../graph/port-spec.js';
import { NetworkStage, type NetworkState } from '../../graph/stage.js';
import type { NetworkUnit } from '../../networks/network-unit.js';
import type { SegmentationNetwork } from '../../networks/segmentation-network.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/** A network built from params reads no other node. */
export const networkInputs = {} as const satisfies PortSpecs;
export const networkOutputs = { net: { type: 'network', description: 'the network (its variables are state)' } } as const satisfies PortSpecs;

/**
 * The stage of a network unit: it builds and owns one network of the node's params, named after the node, with
 * weights drawn from the node's `random.derive('init')`, publishes it on the `net` port with `createLike` (the same
 * unit and params under another name, for copies such as EmaCopy's), and disposes it with the run.
 * `export const UNet2DStage = networkStage(unet2dUnit);` is the whole stage; the unit cites the architecture's paper.
 */
export function networkStage<P, N extends SegmentationNetwork>(unit: NetworkUnit<P, N>) {
  const stage = class extends NetworkStage<P, typeof networkInputs> {
    static readonly className = unit.className;
    static readonly description = unit.description;
    static readonly reference = unit.reference;
    static readonly spatialDims = unit.spatialDims;
    static readonly paramsSchema = unit.paramsSchema;
    static readonly inputs = networkInputs;
    static readonly outputs = networkOutputs;

    private network?: N;

    override build(): NetworkState {
      const createLike = (name: string, random: SeededRandom) => unit.create(name, this.params, random);
      this.network = createLike(this.nodeName, this.context.random.derive('init'));
      return { node: this.nodeName, network: this.network, createLike };
    }

    override dispose(): void {
      this.network?.dispose();
    }
  };
  // Stack traces and debuggers show the family index's name for the class (UNet2DStage) rather than the factory's.
  Object.defineProperty(stage, 'name', { value: `${unit.className}Stage` });
  return stage;
}
