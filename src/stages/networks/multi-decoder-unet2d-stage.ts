import { z } from 'zod';
import { MultiDecoderUNet2D } from '../../networks/multi-decoder-unet2d.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    features: z.array(z.number().int().positive()).length(5).default([16, 32, 64, 128, 256]),
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    /** One decoder per entry, in head order (PyMIC's MCNet2D: transposed, nearest, bilinear; MC-Net: 2 decoders). */
    upModes: z.array(z.enum(['transposed', 'nearest', 'bilinear'])).min(2).max(4).default(['transposed', 'nearest', 'bilinear']),
    /** What the network outputs at inference (and the Forward stage): the first decoder (PyMIC) or the mean. */
    outputMode: z.enum(['first', 'average']).default('first'),
  })
  .strict();

/** One encoder, 2–4 decoders differing in upsampling (MC-Net, Wu et al., MICCAI 2021; MC-Net+, MedIA 2022). */
export class MultiDecoderUNet2DStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'MultiDecoderUNet2D';
  static readonly description = 'U-Net encoder with 2-4 decoders that differ in upsampling (MC-Net); heads for ForwardHeads, first or mean at inference';
  static readonly reference = 'Wu et al. Semi-supervised left atrium segmentation with mutual consistency training. MICCAI 2021; Wu et al. MedIA 2022';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): MultiDecoderUNet2D {
    return new MultiDecoderUNet2D({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      dropout: this.params.dropout,
      upModes: this.params.upModes,
      outputMode: this.params.outputMode,
      random,
    });
  }
}
