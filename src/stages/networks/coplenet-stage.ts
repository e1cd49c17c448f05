import { z } from 'zod';
import { COPLENet } from '../../networks/coplenet.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** An even count doubling at every level (checked by the network). */
    features: z.array(z.number().int().min(2)).length(5).default([16, 32, 64, 128, 256]),
    /** Dropout per level (encoder block and the decoder block at that resolution). */
    dropout: z.array(z.number().min(0).lt(1)).length(5).default([0.05, 0.1, 0.2, 0.3, 0.5]),
    upMode: z.enum(['bilinear', 'nearest', 'transposed']).default('bilinear'),
  })
  .strict();

/** PyMIC's COPLENet: SE conv blocks, max+average pooling, skip bridges and an ASPP bottleneck (Wang et al., IEEE TMI 2020). */
export class COPLENetStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'COPLENet';
  static readonly description =
    "PyMIC's COPLENet: U-Net with squeeze-and-excitation conv blocks, residual max+average-pooling down blocks, 1x1 bridges on the skips and an ASPP bottleneck";
  static readonly reference =
    'Wang, Liu, Li et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 39(8), 2020';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): COPLENet {
    return new COPLENet({
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
