import { z } from 'zod';
import { AttentionUNet2D } from '../../networks/attention-unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    features: z.array(z.number().int().min(2)).length(5).default([16, 32, 64, 128, 256]),
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    upMode: z.enum(['bilinear', 'nearest', 'transposed']).default('bilinear'),
  })
  .strict();

/** PyMIC's attention U-Net: attention-gated skip connections (Oktay, Schlemper et al., MIDL 2018). */
export class AttentionUNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'AttentionUNet2D';
  static readonly description = "PyMIC's 2D attention U-Net: skip features scaled by additive attention gates driven by the coarser decoder level";
  static readonly reference = 'Oktay, Schlemper et al. Attention U-Net: Learning Where to Look for the Pancreas. MIDL 2018';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): AttentionUNet2D {
    return new AttentionUNet2D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      upMode: this.params.upMode,
      random,
    });
  }
}
