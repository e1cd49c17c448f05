import { z } from 'zod';
import { UNet2DScSE } from '../../networks/unet2d-scse.js';
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

/** PyMIC's 2D U-Net with concurrent spatial and channel squeeze & excitation blocks (Roy et al., MICCAI 2018). */
export class UNet2DScSEStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'UNet2DScSE';
  static readonly description = "PyMIC's 2D U-Net with an scSE block (channel and spatial squeeze & excitation) after every conv block";
  static readonly reference = "Roy, Navab, Wachinger. Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully Convolutional Networks. MICCAI 2018";
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): UNet2DScSE {
    return new UNet2DScSE({
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
