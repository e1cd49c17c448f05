import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { ActivatedLossParams } from './loss-activation.js';
import type { PixelWeightOptions } from './loss-inputs.js';

/**
 * A loss as one unit: its function, its params schema (every param described, defaults there only) and what a stage
 * made from it is called and cites. src/stages/losses derives the stage (`labelledLossStage(diceLossUnit)`), so a new
 * loss of the usual ports is its unit plus one line in the family index.
 */
interface LossUnitFacts<P extends ActivatedLossParams> {
  /** The name pipelines use (`stage('DiceLoss', ...)`). */
  readonly className: string;
  /** One line for `--list`. */
  readonly description: string;
  /** The paper the loss comes from, and PyMIC's class where it has one. */
  readonly reference: string;
  /** The loss's params as a pipeline writes them; its output is the params the loss function takes. */
  readonly paramsSchema: z.ZodType<P>;
}

/** A loss comparing a prediction with a label map (as one-hot targets): the ports prediction, label, mask, pixelWeight. */
export interface LabelledLossUnit<P extends ActivatedLossParams> extends LossUnitFacts<P> {
  /** The loss of a prediction [N, ...spatial, C] against one-hot targets of its shape, under the params and pixel weights. */
  readonly loss: (prediction: tf.Tensor, oneHot: tf.Tensor, options: P & PixelWeightOptions) => tf.Scalar;
}

/** A regulariser of the prediction alone: the ports prediction, mask, pixelWeight. */
export interface UnlabelledLossUnit<P extends ActivatedLossParams> extends LossUnitFacts<P> {
  /** The loss of a prediction [N, ...spatial, C] under the params and pixel weights. */
  readonly loss: (prediction: tf.Tensor, options: P & PixelWeightOptions) => tf.Scalar;
}
