import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { NetworkStage, type NetworkState } from '../../src/graph/stage.js';
import { stageModule } from '../../src/graph/stage-registry.js';
import type { NetworkApplyOptions, SegmentationNetwork } from '../../src/networks/segmentation-network.js';

/**
 * A 1×1(×1) convolution network for 2D or 3D batches (logits = x·W + b per voxel), written with plain tf ops so that 3D
 * inference can be tested without a 3D U-Net. Its variables start at zero: a prediction only makes sense once a
 * checkpoint has been loaded.
 */
export class PointwiseNetwork implements SegmentationNetwork {
  readonly className = 'PointwiseNetwork';
  readonly trainableVariables: tf.Variable[];
  readonly stateVariables: tf.Variable[] = [];

  constructor(
    readonly name: string,
    inChannels: number,
    classes: number,
  ) {
    this.trainableVariables = [
      tf.variable(tf.zeros([inChannels, classes]), true, `${name}/weights`),
      tf.variable(tf.zeros([classes]), true, `${name}/bias`),
    ];
  }

  parameterCount(): number {
    return this.trainableVariables.reduce((n, v) => n + v.size, 0);
  }

  apply(x: tf.Tensor4D, _options: NetworkApplyOptions): tf.Tensor4D {
    const [weights, bias] = this.trainableVariables;
    return tf.tidy(() => {
      const input = x as tf.Tensor;
      const flat = tf.reshape(input, [-1, input.shape[input.rank - 1]]);
      const out = tf.add(tf.matMul(flat, weights as tf.Tensor2D), bias);
      const shape: number[] = [...input.shape.slice(0, -1), bias.shape[0]];
      const logits: tf.Tensor = tf.reshape(out, shape);
      return logits as tf.Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose(this.trainableVariables);
  }
}

const params = z.object({ inChannels: z.number().int().positive().default(1), classes: z.number().int().min(2) }).strict();

export class PointwiseNetworkStage extends NetworkStage<z.infer<typeof params>> {
  static readonly className = 'PointwiseNetwork';
  static readonly description = 'test: 1×1(×1) convolution for 2D or 3D inference tests';
  static readonly paramsSchema = params;
  static readonly inputs = {};
  static readonly outputs = { net: { type: 'network', description: 'the network' } } as const;
  private network?: PointwiseNetwork;

  override build(): NetworkState {
    this.network = new PointwiseNetwork(this.nodeName, this.params.inChannels, this.params.classes);
    return { node: this.nodeName, network: this.network };
  }

  override dispose(): void {
    this.network?.dispose();
  }
}

export default stageModule(PointwiseNetworkStage);
