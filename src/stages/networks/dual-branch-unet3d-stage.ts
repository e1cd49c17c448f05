import { z } from 'zod';
import { DualBranchUNet3D } from '../../networks/dual-branch-unet3d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Feature channels per level (4 or 5 levels), PyMIC's `feature_chns`. */
    features: z.array(z.number().int().positive()).min(4).max(5).default([16, 32, 64, 128, 256]),
    /** Dropout probability per encoder level, PyMIC's `dropout`. */
    dropout: z.array(z.number().min(0).lt(1)).min(4).max(5).default([0, 0, 0.3, 0.4, 0.5]),
    upMode: z.enum(['trilinear', 'nearest', 'transposed']).default('trilinear'),
    /** What the network outputs (inference and the Forward stage): PyMIC's `output_mode`. */
    outputMode: z.enum(['average', 'first', 'second']).default('average'),
  })
  .strict()
  .refine((p) => p.dropout.length === p.features.length, { message: 'dropout needs one value per level of features', path: ['dropout'] });

/** PyMIC's 3D dual-branch U-Net: one 3D encoder, two decoders (Luo et al., MICCAI 2022). */
export class DualBranchUNet3DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'DualBranchUNet3D';
  static readonly description = "PyMIC's 3D dual-branch U-Net: a shared encoder and two decoders on NDHWC volumes, output averaged or one branch";
  static readonly reference = 'Luo et al. Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed Pseudo Labels Supervision. MICCAI 2022';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): DualBranchUNet3D {
    return new DualBranchUNet3D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      upMode: this.params.upMode,
      outputMode: this.params.outputMode,
      random,
    });
  }
}
