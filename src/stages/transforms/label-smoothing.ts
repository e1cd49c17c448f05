import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import { oneHotProbabilities } from '../../images/label-maps.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { requireLabel } from './transform-params.js';

const params = z
  .object({
    classes: z.number().int().min(2).describe('Number of classes K; label values must lie in [0, K)'),
    epsilon: z.number().min(0).max(1).default(0.1).describe('Smoothing ε (0..1): the target becomes (1 − ε)·one-hot + ε/K (PyMIC `LabelSmooth_alpha`)'),
  })
  .strict();

/**
 * Label smoothing (Szegedy et al., "Rethinking the Inception architecture", CVPR 2016): soft label
 * (1 − ε)·p + ε/K, from the sample's soft label if one exists (e.g. after LabelToProbability), else from the label map.
 */
export class LabelSmoothing extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'LabelSmoothing';
  static readonly description = 'Soft label (1 − ε)·one-hot + ε/K';
  static readonly reference = 'Szegedy et al., CVPR 2016';
  static readonly paramsSchema = params;

  override apply(sample: Sample): Sample {
    const { classes, epsilon } = this.params;
    const extended = sample as ExtendedSample;
    const outside = (v: number): never => {
      throw new MicflowError('invalid-data', `${sample.origin}: label value ${v} is outside the ${classes} classes of ${this.nodeName}`);
    };
    const source = extended.labelProbability ?? oneHotProbabilities(requireLabel(sample, this.nodeName), classes, outside);
    if (source.shape[source.shape.length - 1] !== classes) {
      throw new MicflowError('invalid-shape', `${sample.origin}: ${this.nodeName} smooths ${classes} classes, but the soft label has ${source.shape[source.shape.length - 1]}`);
    }
    const data = new Float32Array(source.data.length);
    for (let i = 0; i < data.length; i++) data[i] = (1 - epsilon) * source.data[i] + epsilon / classes;
    return { ...extended, labelProbability: { data, shape: source.shape } } as ExtendedSample;
  }
}
