import { map, type OperatorFunction } from 'rxjs';
import type { Sample, SampleStream } from '../../graph/sample.js';
import { SampleStreamStage } from '../../graph/stage.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/**
 * Base of per-sample transforms: a transform is an rxjs operator over samples, applied to each sample as it is read.
 * Subclasses write `apply(sample, random)`; `random` is derived from the sample's own randomness and the node name, so
 * a seeded run transforms every sample the same way whatever the loading order.
 */
export abstract class SampleTransformStage<P> extends SampleStreamStage<P> {
  static readonly inputs = { samples: { type: 'samples', description: 'samples to transform' } } as const;
  static readonly outputs = { samples: { type: 'samples', description: 'transformed samples' } } as const;

  abstract apply(sample: Sample, random: SeededRandom): Sample;

  /** The transform as an rxjs operator. */
  operator(): OperatorFunction<Sample, Sample> {
    return map((sample) => this.apply(sample, sample.random.derive(this.nodeName)));
  }

  override async streams(inputs: Readonly<Record<string, SampleStream | undefined>>): Promise<Record<string, SampleStream>> {
    const input = inputs.samples!;
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
