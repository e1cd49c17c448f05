import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { NetworkStage, type NetworkState } from '../../src/graph/stage.js';
import type { NetworkApplyOptions, SegmentationNetwork } from '../../src/networks/segmentation-network.js';
import { conv2dSame } from '../../src/runtime/ops/conv2d-same.js';

/**
 * A smooth two-layer network (conv3×3 → tanh → conv1×1) for gradient checks of the training machinery: unlike a
 * U-Net with LeakyReLU and max-pooling, its loss has no kinks, so central differences converge to the gradient.
 * Registered by tests through a container module, the way a user adds a network of their own.
 */
class SmoothNetwork implements SegmentationNetwork {
  readonly className = 'SmoothNetwork';
  readonly trainableVariables: tf.Variable[];
  readonly stateVariables: tf.Variable[] = [];

  constructor(
    readonly name: string,
    inChannels: number,
    hidden: number,
    classes: number,
    values: (n: number) => Float32Array,
  ) {
    const variable = (suffix: string, shape: number[]) =>
      tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b, 1)), shape), true, `${name}/${suffix}`);
    this.trainableVariables = [
      variable('k1', [3, 3, inChannels, hidden]),
      variable('b1', [hidden]),
      variable('k2', [1, 1, hidden, classes]),
      variable('b2', [classes]),
    ];
  }

  parameterCount(): number {
    return this.trainableVariables.reduce((n, v) => n + v.size, 0);
  }

  apply(x: tf.Tensor4D, _options: NetworkApplyOptions): tf.Tensor4D {
    const [k1, b1, k2, b2] = this.trainableVariables as unknown as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor1D];
    return tf.tidy(() => conv2dSame(tf.tanh(conv2dSame(x, k1, b1)), k2, b2));
  }

  dispose(): void {
    tf.dispose(this.trainableVariables);
  }
}

const params = z.object({ classes: z.number().int().min(2), hidden: z.number().int().positive().default(4) }).strict();

export class SmoothNetworkStage extends NetworkStage<z.infer<typeof params>> {
  static readonly className = 'SmoothNetwork';
  static readonly description = 'test: conv3x3-tanh-conv1x1, smooth for finite differences';
  static readonly paramsSchema = params;
  static readonly inputs = {};
  static readonly outputs = { net: { type: 'network', description: 'the network' } } as const;
  private network?: SmoothNetwork;

  override build(): NetworkState {
    const random = this.context.random.derive('init');
    this.network = new SmoothNetwork(this.nodeName, 1, this.params.hidden, this.params.classes, (n) => random.normalArray(n, 0, 0.5));
    return { node: this.nodeName, network: this.network };
  }

  override dispose(): void {
    this.network?.dispose();
  }
}
