import { z } from 'zod';
import { CctUNet2D } from '../../networks/cct-unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    features: z.array(z.number().int().positive()).length(5).default([16, 32, 64, 128, 256]),
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    /** One auxiliary decoder per entry, each seeing the deepest feature perturbed this way. */
    auxiliary: z.array(z.enum(['dropout', 'featureDrop', 'featureNoise', 'vat'])).default(['dropout', 'featureDrop', 'featureNoise']),
    /** Feature noise range r (x + x U(-r, r)), PyMIC's `Uniform_range`. */
    noiseRange: z.number().nonnegative().default(0.3),
    /** The 'vat' decoder's finite-difference step xi (PyMIC's `VAT_xi`). */
    vatXi: z.number().positive().default(1e-6),
    /** The 'vat' perturbation's L2 norm per image (PyMIC's `VAT_eps`). */
    vatEps: z.number().nonnegative().default(2.0),
    /** The 'vat' power iterations (PyMIC's `VAT_it`). */
    vatIterations: z.number().int().positive().default(2),
  })
  .strict();

/** PyMIC's CCT network: a U-Net with auxiliary decoders on perturbed features (Ouali et al., CVPR 2020). */
export class CctUNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'CctUNet2D';
  static readonly description =
    'U-Net with auxiliary decoders on perturbed encoder features (channel dropout, feature drop, feature noise, virtual adversarial perturbation)';
  static readonly reference = 'Ouali, Hudelot, Tami. Semi-Supervised Semantic Segmentation With Cross-Consistency Training. CVPR 2020';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): CctUNet2D {
    return new CctUNet2D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      auxiliary: this.params.auxiliary,
      noiseRange: this.params.noiseRange,
      vat: { xi: this.params.vatXi, eps: this.params.vatEps, iterations: this.params.vatIterations },
      random,
    });
  }
}
