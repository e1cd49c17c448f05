import { z } from 'zod';
import { DualBranchUNet2D } from '../../networks/dual-branch-unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    features: z.array(z.number().int().positive()).length(5).default([16, 32, 64, 128, 256]),
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    upMode: z.enum(['bilinear', 'nearest', 'transposed']).default('bilinear'),
    /** What the network outputs (inference and the Forward stage): PyMIC's `output_mode`. */
    outputMode: z.enum(['average', 'first', 'second']).default('average'),
  })
  .strict();

/** PyMIC's dual-branch U-Net: one encoder, two decoders (Luo et al., MICCAI 2022). */
export class DualBranchUNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'DualBranchUNet2D';
  static readonly description = "PyMIC's dual-branch U-Net: a shared encoder and two decoders, output averaged or one branch";
  static readonly reference = 'Luo et al. Scribble-Supervised Medical Image Segmentation via Dual-Branch Network and Dynamically Mixed Pseudo Labels Supervision. MICCAI 2022';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): DualBranchUNet2D {
    return new DualBranchUNet2D({
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
