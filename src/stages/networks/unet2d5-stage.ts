import { z } from 'zod';
import { UNet2D5 } from '../../networks/unet2d5.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Five feature channel counts, PyMIC's `feature_chns`. */
    features: z.array(z.number().int().positive()).length(5).default([16, 32, 64, 128, 256]),
    /** Dropout per level (encoder and decoder), PyMIC's `dropout`. */
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0, 0, 0.3, 0.4, 0.5]),
    /** 2 (in-plane) or 3 per level, PyMIC's `conv_dims`. */
    convDims: z.array(z.union([z.literal(2), z.literal(3)])).length(5).default([2, 2, 3, 3, 3]),
    /** 'linear' is PyMIC's `bilinear: true`; 'transposed' its deconvolution. */
    upMode: z.enum(['linear', 'transposed']).default('linear'),
  })
  .strict();

/**
 * PyMIC's 2.5D U-Net for anisotropic volumes (Wang et al., MICCAI 2019): in-plane convolutions in the first levels,
 * 3D ones deeper, on NDHWC volumes. Its variables live as long as the run.
 */
export class UNet2D5Stage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'UNet2D5';
  static readonly description = "PyMIC's 2.5D U-Net: 2D (1x3x3) convolutions in the first levels, 3D deeper, for thick-slice volumes";
  static readonly reference = 'Wang et al. Automatic Segmentation of Vestibular Schwannoma from T2-Weighted MRI by Deep Spatial Attention with Hardness-Weighted Loss. MICCAI 2019';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): UNet2D5 {
    return new UNet2D5({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      convDims: this.params.convDims,
      upMode: this.params.upMode,
      random,
    });
  }
}
