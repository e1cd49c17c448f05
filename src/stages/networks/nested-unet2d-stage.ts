import { z } from 'zod';
import { NestedUNet2D } from '../../networks/nested-unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    features: z.array(z.number().int().positive()).length(5).default([16, 32, 64, 128, 256]),
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
  })
  .strict();

/** PyMIC's UNet++ (nested U-Net with dense skip pathways; Zhou et al., DLMIA 2018). */
export class NestedUNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'NestedUNet2D';
  static readonly description = "PyMIC's UNet++: nested decoders with dense skip connections between every level";
  static readonly reference = 'Zhou, Rahman Siddiquee, Tajbakhsh, Liang. UNet++: A Nested U-Net Architecture for Medical Image Segmentation. DLMIA 2018';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): NestedUNet2D {
    return new NestedUNet2D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      random,
    });
  }
}
