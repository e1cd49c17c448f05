import { map, type OperatorFunction } from 'rxjs';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { Sample, SampleStream } from '../../graph/sample.js';
import { SampleStreamStage, type InputsOf } from '../../graph/stage.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/** The one input every per-sample transform has: the stream it transforms. */
const sampleTransformInputs = { samples: { type: 'samples', description: 'samples to transform' } } as const satisfies PortSpecs;
/** The one output every per-sample transform has: the transformed stream, of the same size and origin. */
const sampleTransformOutputs = { samples: { type: 'samples', description: 'transformed samples' } } as const satisfies PortSpecs;

/**
 * Base of per-sample transforms: a transform is an rxjs operator over samples, applied to each sample as it is read.
 * Subclasses write `apply(sample, random)`; `random` is derived from the sample's own randomness and the node name, so
 * a seeded run transforms every sample the same way whatever the loading order.
 */
export abstract class SampleTransformStage<P> extends SampleStreamStage<P, typeof sampleTransformInputs> {
  static readonly inputs = sampleTransformInputs;
  static readonly outputs = sampleTransformOutputs;

  abstract apply(sample: Sample, random: SeededRandom): Sample;

  /** The transform as an rxjs operator. */
  operator(): OperatorFunction<Sample, Sample> {
    return map((sample) => this.apply(sample, sample.random.derive(this.nodeName)));
  }

  override async streams(inputs: InputsOf<typeof sampleTransformInputs>): Promise<Record<string, SampleStream>> {
    const input = inputs.samples;
    const operator = this.operator();
    return {
      samples: {
        size: input.size,
        origin: input.origin,
        read: (index, random) => input.read(index, random).pipe(operator),
      },
    };
  }
}
