import { z } from 'zod';
import { UNet3D } from '../../networks/unet3d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Feature channels per level, PyMIC's `feature_chns`. */
    features: z.array(z.number().int().positive()).min(4).max(5).default([16, 32, 64, 128, 256]),
    /** Dropout probability per level, PyMIC's `dropout`. */
    dropout: z.array(z.number().min(0).lt(1)).min(4).max(5).default([0, 0, 0.3, 0.4, 0.5]),
    upMode: z.enum(['trilinear', 'nearest', 'transposed']).default('trilinear'),
    /** PyMIC's `deep_supervise`: 1x1x1 heads on the three coarser decoder levels (see UNet3D.applyMultiscale). */
    deepSupervision: z.boolean().default(false),
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, { message: 'dropout needs one value per level of features', path: ['dropout'] });

/**
 * PyMIC's 3D U-Net (Çiçek et al., "3D U-Net", MICCAI 2016): conv3×3×3–BN–LeakyReLU blocks with dropout per level,
 * 2×2×2 max-pool down, trilinear / nearest / transposed-conv up, on NDHWC volumes. Its variables live as long as the run.
 */
export class UNet3DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'UNet3D';
  static readonly description = "PyMIC's 3D U-Net (conv-BN-LeakyReLU blocks, dropout per level, trilinear/nearest/transposed up)";
  static readonly reference = 'Çiçek, Abdulkadir, Lienkamp, Brox, Ronneberger. 3D U-Net. MICCAI 2016';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): UNet3D {
    return new UNet3D({
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
