import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { upsample2x } from '../runtime/ops/upsample-2x.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { applyConvBlock, createConvBlock, type ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { NetworkApplyOptions, SegmentationNetwork } from './segmentation-network.js';

export const nestedUNet2DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], 'Dropout probability in [0, 1) of the backbone (column 0) block of each level; nested blocks use none, as PyMIC (PyMIC dropout)'),
  })
  .strict();
export type NestedUNet2DParams = z.output<typeof nestedUNet2DParams>;
/** The schema's output and the instance's name and randomness. */
export type NestedUNet2DArgs = NestedUNet2DParams & NetworkInstanceArgs;

const LEVELS = 5;

/**
 * PyMIC's NestedUNet2D, UNet++ (pymic/net/net2d/unet2d_nest.py; Z. Zhou, M. M. Rahman Siddiquee, N. Tajbakhsh,
 * J. Liang, "UNet++: A Nested U-Net Architecture for Medical Image Segmentation", DLMIA 2018, with PyMIC's batch norm,
 * LeakyReLU and dropout), NHWC. Node (i, j) at level i and column j:
 *   x(i, 0) = ConvBlock(maxpool(x(i - 1, 0)))                        (x(0, 0) = ConvBlock(input)),
 *   x(i, j) = ConvBlock(concat[x(i, 0), ..., x(i, j - 1), up(x(i + 1, j - 1))])   for j >= 1,
 * with up = parameter-free bilinear x2 (align_corners=True), ConvBlocks as UNet2D's, and a 1x1 conv from x(0, 4) to
 * class logits.
 */
export class NestedUNet2D extends ParameterisedNetwork implements SegmentationNetwork {
  static className = 'NestedUNet2D';
  readonly className = NestedUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  /** blocks[i][j] is node (i, j), for i + j <= 4. */
  private readonly blocks: ConvBlock[][] = [];
  private readonly out: ConvParameters;

  constructor(args: NestedUNet2DArgs) {
    super();
    const { features: f, dropout: rates } = args;
    this.name = args.name ?? freeNetworkName('nested_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    try {
      for (let i = 0; i < LEVELS; i++) {
        const block = (j: number, inChannels: number, dropout: number) =>
          createConvBlock(this.parameters, { path: `x${i}_${j}`, inChannels, outChannels: f[i], kernelSize: [3, 3], dropout });
        const row: ConvBlock[] = [block(0, i === 0 ? this.inChannels : f[i - 1], rates[i])];
        for (let j = 1; i + j < LEVELS; j++) row.push(block(j, f[i] * j + f[i + 1], 0));
        this.blocks.push(row);
      }
      this.out = this.parameters.conv('out', [1, 1, f[0], this.classes], f[0]);
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    this.checkNotDisposed();
    this.checkImageInput(x, this.inChannels, 16);
    this.checkDropoutRandom(opts);
    const { training, random } = opts;
    return tf.tidy(() => {
      const nodes: tf.Tensor4D[][] = Array.from({ length: LEVELS }, () => []);
      // Column by column of the backbone, as PyMIC: once x(i, 0) exists, the diagonal it completes is computed.
      for (let i = 0; i < LEVELS; i++) {
        nodes[i][0] = applyConvBlock(this.blocks[i][0], i === 0 ? x : maxPool2x2(nodes[i - 1][0]), training, random);
        for (let j = 1; j <= i; j++) {
          const level = i - j;
          const inputs = [...nodes[level].slice(0, j), upsample2x(nodes[level + 1][j - 1], 'bilinear')];
          nodes[level][j] = applyConvBlock(this.blocks[level][j], tf.concat(inputs, 3), training, random);
        }
      }
      return applyConvolution(this.out, nodes[0][LEVELS - 1]);
    });
  }

}

export const nestedUNet2DUnit: NetworkUnit<NestedUNet2DParams, NestedUNet2D> = {
  className: NestedUNet2D.className,
  spatialDims: 2,
  description: "PyMIC's UNet++: nested decoders with dense skip connections between every level",
  reference: 'Zhou, Rahman Siddiquee, Tajbakhsh, Liang. UNet++: A Nested U-Net Architecture for Medical Image Segmentation. DLMIA 2018',
  paramsSchema: nestedUNet2DParams,
  create: (name, params, random) => new NestedUNet2D({ ...params, name, random }),
};
