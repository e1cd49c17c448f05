import { NetworkStage, type NetworkState } from '../../graph/stage.js';
import type { SegmentationNetwork } from '../../networks/segmentation-network.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/**
 * Base of the stages that build and own one network from their params (UNet2D, UNet3D, ...): a subclass declares its
 * className, description, reference and params schema and implements {@link NetworkBuilderStage.createNetwork}. The
 * network is built under the node's name with weights drawn from the node's `random.derive('init')`, published on
 * the `net` port with `createLike` (the same builder, for copies such as EmaCopy's), and disposed with the run.
 * The architectures' papers are cited by each subclass.
 */
export abstract class NetworkBuilderStage<P> extends NetworkStage<P> {
  static readonly inputs = {};
  static readonly outputs = { net: { type: 'network', description: 'the network (its variables are state)' } } as const;

  private network?: SegmentationNetwork;

  /** A new network of this stage's architecture and params, named `name`, with weights drawn from `random`. */
  protected abstract createNetwork(name: string, random: SeededRandom): SegmentationNetwork;

  override build(): NetworkState {
    const create = (name: string, random: SeededRandom) => this.createNetwork(name, random);
    this.network = create(this.nodeName, this.context.random.derive('init'));
    return { node: this.nodeName, network: this.network, createLike: create };
  }

  override dispose(): void {
    this.network?.dispose();
  }
}
