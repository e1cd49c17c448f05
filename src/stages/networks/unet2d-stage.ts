import { z } from 'zod';
import { UNet2D } from '../../networks/unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Feature channels per level, PyMIC's `feature_chns`. */
    features: z.array(z.number().int().positive()).min(4).max(5).default([16, 32, 64, 128, 256]),
    /** Dropout probability per level, PyMIC's `dropout`. */
    dropout: z.array(z.number().min(0).lt(1)).min(4).max(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    upMode: z.enum(['bilinear', 'nearest', 'transposed']).default('bilinear'),
    /** PyMIC's `deep_supervise`: 1x1 heads on the three coarser decoder levels (see UNet2D.applyMultiscale). */
    deepSupervision: z.boolean().default(false),
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, { message: 'dropout needs one value per level of features', path: ['dropout'] });

/**
 * PyMIC's 2D U-Net (Ronneberger, Fischer, Brox, "U-Net", MICCAI 2015): conv3×3–BN–LeakyReLU blocks with dropout per
 * level, max-pool down, bilinear / nearest / transposed-conv up. Its variables live as long as the run.
 */
export class UNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'UNet2D';
  static readonly description = "PyMIC's 2D U-Net (conv-BN-LeakyReLU blocks, dropout per level, configurable up-sampling)";
  static readonly reference = 'Ronneberger, Fischer, Brox. U-Net. MICCAI 2015';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): UNet2D {
    return new UNet2D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      upMode: this.params.upMode,
      deepSupervision: this.params.deepSupervision,
      random,
    });
  }
}
