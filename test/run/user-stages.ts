import { z } from 'zod';
import type { Sample } from '../../src/graph/sample.js';
import { stageModule } from '../../src/graph/stage-registry.js';
import { SampleTransformStage } from '../../src/stages/transforms/sample-transform-stage.js';

const params = z.object({ maximum: z.number().default(255) }).strict();

/** A user's own transform, written outside src/ and registered through a container module: maximum − intensity. */
export class InvertIntensity extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'InvertIntensity';
  static readonly description = 'test: inverts intensities (maximum - value)';
  static readonly paramsSchema = params;
  static applied = 0;

  override apply(sample: Sample): Sample {
    InvertIntensity.applied += 1;
    return { ...sample, image: { ...sample.image, data: sample.image.data.map((v) => this.params.maximum - v) } };
  }
}

export default stageModule(InvertIntensity);
