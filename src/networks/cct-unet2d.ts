import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../runtime/register-gradients.js';
import { MicflowError } from '../errors/micflow-error.js';
import { dropoutMask } from '../runtime/ops/dropout.js';
import { stopGradient } from '../runtime/ops/stop-gradient.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import type { ConvBlock } from './blocks/conv-block.js';
import { applyConvolution } from './blocks/convolution.js';
import { applyDecoder, createDecoder, type UpBlock } from './blocks/decoder.js';
import { applyEncoder, createEncoder } from './blocks/encoder.js';
import { PYMIC_VAT_DEFAULTS, virtualAdversarialPerturbation, type VirtualAdversarialSpec } from './blocks/virtual-adversarial-perturbation.js';
import { classesParam, dropoutPerLevelParam, featuresPerLevelParam, inChannelsParam } from './network-params.js';
import { freeNetworkName, NetworkParameters, type ConvParameters } from './network-parameters.js';
import type { NetworkInstanceArgs, NetworkUnit } from './network-unit.js';
import { ParameterisedNetwork } from './parameterised-network.js';
import type { MultiHeadSegmentationNetwork, NetworkApplyOptions } from './segmentation-network.js';

export const cctUNet2DParams = z
  .object({
    inChannels: inChannelsParam,
    classes: classesParam,
    features: featuresPerLevelParam(5, 'Feature channels of the five levels from the finest (PyMIC feature_chns)'),
    dropout: dropoutPerLevelParam(5, [0.05, 0.1, 0.2, 0.3, 0.5], "Dropout probability in [0, 1) of each level's encoder block; decoder blocks use none (PyMIC dropout)"),
    auxiliary: z
      .array(z.enum(['dropout', 'featureDrop', 'featureNoise', 'vat']))
      .default(['dropout', 'featureDrop', 'featureNoise'])
      .describe("One auxiliary decoder per entry, each seeing the deepest encoder feature perturbed this way (PyMIC CCT_aux_decoders, whose default adds 'vat')"),
    noiseRange: z
      .number()
      .nonnegative()
      .default(0.3)
      .describe("The 'featureNoise' decoder's noise range r: x + x U(-r, r) (PyMIC Uniform_range)"),
    vatXi: z
      .number()
      .positive()
      .default(PYMIC_VAT_DEFAULTS.xi)
      .describe("The 'vat' decoder's finite-difference step xi of the power iteration (PyMIC VAT_xi)"),
    vatEps: z
      .number()
      .nonnegative()
      .default(PYMIC_VAT_DEFAULTS.eps)
      .describe("The L2 norm per image of the 'vat' decoder's perturbation (PyMIC VAT_eps)"),
    vatIterations: z
      .number()
      .int()
      .positive()
      .default(PYMIC_VAT_DEFAULTS.iterations)
      .describe("The 'vat' decoder's power iterations (PyMIC VAT_it)"),
  })
  .strict();
export type CctUNet2DParams = z.output<typeof cctUNet2DParams>;
/** The perturbation an auxiliary decoder sees on the deepest encoder feature. */
export type CctPerturbation = CctUNet2DParams['auxiliary'][number];
/** The schema's output and the instance's name and randomness. */
export type CctUNet2DArgs = CctUNet2DParams & NetworkInstanceArgs;

interface Decoder {
  ups: UpBlock[];
  out: ConvParameters;
}

/** Main and auxiliary logits of one forward pass. */
export interface CctOutputs {
  main: tf.Tensor4D;
  auxiliary: tf.Tensor4D[];
}

/**
 * PyMIC's UNet2D_CCT (pymic/net/net2d/unet2d_cct.py; Y. Ouali, C. Hudelot, M. Tami, "Semi-Supervised Semantic
 * Segmentation With Cross-Consistency Training", CVPR 2020), NHWC: UNet2D's encoder, a main decoder, and auxiliary
 * decoders (same architecture, own weights) that each see the deepest encoder feature perturbed:
 * - 'dropout': channel dropout with p = 0.5 (CCT's DropOutDecoder; PyMIC applies no perturbation here);
 * - 'featureDrop': positions whose channel-mean activation exceeds U(0.7, 0.9) times the image's maximum are zeroed;
 * - 'featureNoise': x + x * u, u ~ U(-r, r) of the feature's shape (shared over the batch);
 * - 'vat': x + r_adv, the virtual adversarial perturbation of norm eps per image that most changes this auxiliary
 *   decoder's own prediction, found by power iteration with the skips and x detached (Miyato et al., IEEE TPAMI 2019;
 *   see virtualAdversarialPerturbation); r_adv is a constant for the training gradient, which reaches x as usual.
 * Each auxiliary decoder perturbs the unperturbed feature (PyMIC assigns each perturbed feature back into the shared
 * list, so its later decoders see earlier perturbations stacked).
 * `apply` gives the main decoder's logits; {@link CctUNet2D.applyWithAuxiliary} gives all of them for training the
 * consistency between main and auxiliary predictions on unlabelled images.
 */
export class CctUNet2D extends ParameterisedNetwork implements MultiHeadSegmentationNetwork {
  static className = 'CctUNet2D';
  readonly className = CctUNet2D.className;
  readonly name: string;
  readonly inChannels: number;
  readonly classes: number;
  readonly features: readonly number[];
  readonly dropoutRates: readonly number[];
  readonly auxiliary: readonly CctPerturbation[];
  private readonly noiseRange: number;
  /** The 'vat' decoders' power-iteration settings. */
  readonly vat: VirtualAdversarialSpec;
  private readonly encoder: ConvBlock[];
  private readonly mainDecoder: Decoder;
  private readonly auxiliaryDecoders: Decoder[] = [];

  constructor(args: CctUNet2DArgs) {
    super();
    const { features: f, dropout: rates } = args;
    this.auxiliary = args.auxiliary;
    this.noiseRange = args.noiseRange;
    this.vat = { xi: args.vatXi, eps: args.vatEps, iterations: args.vatIterations };
    this.name = args.name ?? freeNetworkName('cct_unet2d');
    this.inChannels = args.inChannels;
    this.classes = args.classes;
    this.features = f;
    this.dropoutRates = rates;
    this.parameters = new NetworkParameters(this.name, args.random ?? new SeededRandom(0));
    try {
      this.encoder = createEncoder(this.parameters, { inChannels: this.inChannels, featureChannels: f, dropout: rates, kernelSize: [3, 3] });
      this.mainDecoder = this.decoder('dec');
      this.auxiliary.forEach((kind, i) => this.auxiliaryDecoders.push(this.decoder(`aux${i}_${kind}`)));
    } catch (error) {
      this.parameters.dispose();
      throw error;
    }
  }

  apply(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D {
    return tf.tidy(() => this.decode(this.mainDecoder, this.encode(x, opts), opts));
  }

  /** 'main', then one name per auxiliary decoder ('aux0_dropout', ...). */
  get headNames(): readonly string[] {
    return ['main', ...this.auxiliary.map((kind, i) => `aux${i}_${kind}`)];
  }

  /** Main logits, then each auxiliary decoder's (see applyWithAuxiliary). */
  applyHeads(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    const { main, auxiliary } = this.applyWithAuxiliary(x, opts);
    return [main, ...auxiliary];
  }

  /** Main logits and, in order of `auxiliary`, each auxiliary decoder's logits; training needs opts.random. */
  applyWithAuxiliary(x: tf.Tensor4D, opts: NetworkApplyOptions): CctOutputs {
    if (opts.random === undefined) throw new MicflowError('invalid-argument', `CctUNet2D ${this.name}: the auxiliary perturbations need opts.random`);
    const random = opts.random;
    const result = tf.tidy(() => {
      const skips = this.encode(x, opts);
      const main = this.decode(this.mainDecoder, skips, opts);
      const auxiliary = this.auxiliaryDecoders.map((decoder, i) => {
        const r = random.derive('auxiliary', i);
        const perturbed = this.perturb(this.auxiliary[i], skips, decoder, r, opts);
        return this.decode(decoder, [...skips.slice(0, 4), perturbed], opts);
      });
      return [main, ...auxiliary];
    });
    return { main: result[0], auxiliary: result.slice(1) };
  }

  /** The deepest skip as `decoder` sees it: perturbed by `kind`, drawing from `random`. */
  private perturb(kind: CctPerturbation, skips: tf.Tensor4D[], decoder: Decoder, random: SeededRandom, opts: NetworkApplyOptions): tf.Tensor4D {
    const deepest = skips[4];
    const [n, h, w, c] = deepest.shape;
    switch (kind) {
      case 'dropout': {
        const mask = tf.tensor(dropoutMask(n * c, 0.5, random), [n, 1, 1, c], 'float32');
        return tf.mul(deepest, mask) as tf.Tensor4D;
      }
      case 'featureDrop': {
        const attention = stopGradient(tf.mean(deepest, 3, true)); // [N, H, W, 1]
        const maximum = tf.max(attention, [1, 2, 3], true);
        const factors = tf.tensor(Array.from({ length: n }, () => random.uniformIn(0.7, 0.9)), [n, 1, 1, 1], 'float32');
        // step(t - a) = 1 where a < t: Step has a (zero) gradient, unlike Less, so the tape passes through it.
        const keep = tf.step(tf.sub(tf.mul(maximum, factors), attention));
        return tf.mul(deepest, keep) as tf.Tensor4D;
      }
      case 'featureNoise': {
        const noise = tf.tensor(random.uniformArray(h * w * c, -this.noiseRange, this.noiseRange), [1, h, w, c], 'float32');
        return tf.add(deepest, tf.mul(deepest, noise)) as tf.Tensor4D;
      }
      case 'vat': {
        const detached = skips.slice(0, 4).map((s) => stopGradient(s));
        const predict = (feature: tf.Tensor4D) => this.decode(decoder, [...detached, feature], opts);
        return tf.add(deepest, virtualAdversarialPerturbation(deepest, predict, random, this.vat)) as tf.Tensor4D;
      }
    }
  }

  private encode(x: tf.Tensor4D, opts: NetworkApplyOptions): tf.Tensor4D[] {
    this.checkNotDisposed();
    this.checkImageInput(x, this.inChannels, 16);
    this.checkDropoutRandom(opts);
    return applyEncoder(this.encoder, x, { training: opts.training, random: opts.random });
  }

  private decode(decoder: Decoder, skips: tf.Tensor4D[], { training, random }: NetworkApplyOptions): tf.Tensor4D {
    const decoded = applyDecoder(decoder.ups, skips, 'bilinear', training, random);
    return applyConvolution(decoder.out, decoded[decoded.length - 1]);
  }

  /** A main or auxiliary decoder (bilinear up blocks, as PyMIC's) with its own 1x1 output conv, at `path`. */
  private decoder(path: string): Decoder {
    const f = this.features;
    const ups = createDecoder(this.parameters, { prefix: path, featureChannels: f, upMode: 'bilinear', spatialDims: 2 });
    return { ups, out: this.parameters.conv(`${path}/out`, [1, 1, f[0], this.classes], f[0]) };
  }
}

export const cctUNet2DUnit: NetworkUnit<CctUNet2DParams, CctUNet2D> = {
  className: CctUNet2D.className,
  spatialDims: 2,
  description: 'U-Net with auxiliary decoders on perturbed encoder features (channel dropout, feature drop, feature noise, virtual adversarial perturbation)',
  reference: 'Ouali, Hudelot, Tami. Semi-Supervised Semantic Segmentation With Cross-Consistency Training. CVPR 2020',
  paramsSchema: cctUNet2DParams,
  create: (name, params, random) => new CctUNet2D({ ...params, name, random }),
};
