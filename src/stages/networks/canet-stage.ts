import { z } from 'zod';
import { CANet } from '../../networks/canet.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { NetworkBuilderStage } from './network-builder-stage.js';

const params = z
  .object({
    inChannels: z.number().int().positive().default(1),
    classes: z.number().int().min(2),
    /** Doubling at every level from at least 2 (checked by the network); PyMIC's feature_chns / feature_scale. */
    features: z.array(z.number().int().min(2)).length(5).default([8, 16, 32, 64, 128]),
    /** Channel dropout (Dropout2d) after the two deepest encoder blocks and the deepest decoder block; PyMIC's 0.5. */
    channelDropout: z.number().min(0).lt(1).default(0.5),
  })
  .strict();

/** PyMIC's CA-Net: spatial, channel and scale attention in a U-Net (Gu et al., IEEE TMI 2021). */
export class CANetStage extends NetworkBuilderStage<z.infer<typeof params>> {
  static readonly className = 'CANet';
  static readonly description =
    "PyMIC's CA-Net: U-Net with a non-local block, attention-gated skips (spatial), SE channel attention in the decoder and scale attention over the decoder's multi-scale outputs";
  static readonly reference =
    'Gu, Wang, Song et al. CA-Net: Comprehensive Attention Convolutional Neural Networks for Explainable Medical Image Segmentation. IEEE TMI 40(2), 2021';
  static readonly paramsSchema = params;

  protected override createNetwork(name: string, random: SeededRandom): CANet {
    return new CANet({
      name,
      inChannels: this.params.inChannels,
      classes: this.params.classes,
      featureChannels: this.params.features,
      channelDropout: this.params.channelDropout,
      random,
    });
  }
}
