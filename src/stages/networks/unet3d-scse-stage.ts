import { z } from 'zod';
import { UNet3DScSE } from '../../networks/unet3d-scse.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Five feature channel counts, each >= 2 (the channel SE halves them), PyMIC's `feature_chns`. */
    features: z.array(z.number().int().min(2)).length(5).default([16, 32, 64, 128, 256]),
    /** Dropout per level (encoder block and the decoder block back to that level), PyMIC's `dropout`. */
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0, 0, 0.3, 0.4, 0.5]),
    upMode: z.enum(['trilinear', 'nearest', 'transposed']).default('trilinear'),
  })
  .strict();

/** PyMIC's 3D U-Net with concurrent spatial and channel squeeze & excitation blocks (Roy et al., MICCAI 2018). */
export class UNet3DScSEStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'UNet3DScSE';
  static readonly description = "PyMIC's 3D U-Net with an scSE block (channel and spatial squeeze & excitation) after every conv block, on NDHWC volumes";
  static readonly reference = "Roy, Navab, Wachinger. Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully Convolutional Networks. MICCAI 2018";
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): UNet3DScSE {
    return new UNet3DScSE({
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
