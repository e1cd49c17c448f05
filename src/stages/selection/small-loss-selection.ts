import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf } from '../../graph/stage.js';
import { NATIVE_SMALLEST_COUNT_MASK, onNativeBackend } from '../../runtime/native/native-kernels.js';
import { withoutGradient } from '../../runtime/ops/without-gradient.js';

const params = z
  .object({
    forgetRate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .default(null)
      .describe('A constant forget rate in [0, 1], when no `forgetRate` schedule is wired: the fraction of pixels left out'),
    scope: z
      .enum(['batch', 'image', 'class'])
      .default('batch')
      .describe(
        "Rank the pixels of the whole batch together ('batch', PyMIC's NLLCoTeaching and NLLTriNet), of each image apart ('image'), or of each (noisy) label class apart over the batch ('class', needs the `label` input and `classes`): every class then keeps floor((1 − forget rate) · its pixel count), so the hard pixels of small structures are not all dropped first",
      ),
    classes: z
      .number()
      .int()
      .min(2)
      .nullable()
      .default(null)
      .describe("Number of classes (labels 0..classes−1) for scope 'class'; pixels with other labels are never kept"),
    combine: z
      .enum(['intersection', 'mean'])
      .default('intersection')
      .describe(
        "With several loss maps: 'intersection' keeps a pixel that every map ranks among its smallest (the tri-network's two selecting networks, PyMIC's mask1 · mask2); 'mean' ranks the pixels by the maps' mean",
      ),
  })
  .strict()
  .refine((p) => p.scope !== 'class' || p.classes !== null, { message: 'scope "class" needs "classes"', path: ['classes'] });

type SmallLossSelectionParams = z.infer<typeof params>;

const smallLossSelectionInputs = {
  lossMaps: { type: 'tensor', list: true, description: 'per-pixel losses [N, ...spatial], one map per selecting network' },
  forgetRate: { type: 'scalar', optional: true, description: 'fraction of pixels to leave out this tick (a schedule); else params.forgetRate' },
  label: { type: 'tensor', optional: true, description: 'label map [N, ...spatial] the losses were computed against (scope "class" only)' },
} as const satisfies PortSpecs;
const smallLossSelectionOutputs = {
  mask: { type: 'tensor', description: '1 for the selected pixels, 0 elsewhere [N, ...spatial]' },
  kept: { type: 'scalar', description: 'fraction of pixels selected' },
} as const satisfies PortSpecs;

/**
 * The mask of the pixels with the smallest loss ranked over each row of `values` [rows, pixels]: the k = floor(keep ·
 * pixels) smallest per row, k computed in float32 from the scalar `keep` (no value is read back). Equal values are
 * taken in pixel order (lower flat index first), on every backend. Returns float32 0/1 of the shape of `values`. Call
 * inside tf.tidy.
 */
export function smallestFractionMask(values: tf.Tensor2D, keep: tf.Scalar): tf.Tensor2D {
  const [rows, pixels] = values.shape;
  return smallestCountMask(values, tf.mul(tf.ones([rows, 1]), tf.floor(tf.mul(keep, pixels))) as tf.Tensor2D);
}

/**
 * The mask of the k[r] smallest values of each row r of `values` [rows, pixels] (k [rows, 1], float32 whole numbers):
 * the k-th smallest value t of the row comes from a sort, every pixel below t is kept, and of the pixels equal to t the
 * first k − #below in index order (a cumulative count). A row of +Infinity with k = 0 keeps nothing. Call inside tf.tidy.
 */
export function smallestCountMask(values: tf.Tensor2D, k: tf.Tensor2D): tf.Tensor2D {
  // On native the same mask in one addon pass per row (a partial sort); the composite below sorts each row fully.
  if (onNativeBackend() && values.dtype === 'float32' && k.dtype === 'float32') {
    return tf.engine().runKernel(NATIVE_SMALLEST_COUNT_MASK, { values, k }) as tf.Tensor2D;
  }
  return smallestCountMaskComposite(values, k);
}

/** {@link smallestCountMask} as tensor ops (every backend; the reference the native kernel is tested against). */
export function smallestCountMaskComposite(values: tf.Tensor2D, k: tf.Tensor2D): tf.Tensor2D {
  const pixels = values.shape[1];
  const ascending = tf.neg(tf.topk(tf.neg(values), pixels).values);
  const kthIndex = tf.cast(tf.maximum(tf.sub(k, 1), 0), 'int32'); // [rows, 1]
  const atKth = tf.equal(tf.reshape(tf.range(0, pixels, 1, 'int32'), [1, pixels]), kthIndex);
  const kth = tf.min(tf.where(atKth, ascending, tf.fill(ascending.shape, Infinity)), 1, true); // [rows, 1]
  const below = tf.cast(tf.less(values, kth), 'float32');
  const equal = tf.cast(tf.equal(values, kth), 'float32');
  const stillNeeded = tf.sub(k, tf.sum(below, 1, true)); // [rows, 1]; 0 when k = 0, so nothing is kept then
  const equalOrder = tf.cumsum(equal, 1); // 1 for the first pixel equal to the k-th value, 2 for the second, ...
  const keptEqual = tf.mul(equal, tf.cast(tf.lessEqual(equalOrder, stillNeeded), 'float32'));
  return tf.add(below, keptEqual) as tf.Tensor2D;
}

/**
 * Per class over the whole map: each label class c keeps the floor(keep · count_c) pixels of the class with the
 * smallest loss (ties in pixel order). Returns float32 0/1 of the map's shape.
 */
function smallestFractionPerClass(map: tf.Tensor, label: tf.Tensor, classes: number, keep: tf.Scalar): tf.Tensor {
  const pixels = map.size;
  const flat = tf.reshape(map, [1, pixels]);
  const isClass = tf.equal(tf.reshape(tf.cast(label, 'int32'), [1, pixels]), tf.reshape(tf.range(0, classes, 1, 'int32'), [classes, 1])); // [C, P]
  const values = tf.where(isClass, tf.tile(flat, [classes, 1]), tf.fill([classes, pixels], Infinity)) as tf.Tensor2D;
  const k = tf.floor(tf.mul(keep, tf.sum(tf.cast(isClass, 'float32'), 1, true))) as tf.Tensor2D;
  return tf.reshape(tf.sum(smallestCountMask(values, k), 0), map.shape);
}

/**
 * Small-loss sample selection for learning from noisy labels: from one or more per-pixel loss maps (PixelCrossEntropy),
 * a 0/1 mask of the fraction 1 − forget rate of pixels with the smallest loss, ranked over the batch or per image.
 * Deep networks fit clean labels before noisy ones, so early in training small-loss pixels are mostly correctly
 * labelled (Han et al., "Co-teaching: robust training of deep neural networks with extremely noisy labels", NeurIPS
 * 2018): co-teaching trains each of two networks on the pixels its partner selects; the tri-network (Zhang et al.,
 * "Robust medical image segmentation from non-expert annotations with tri-network", MICCAI 2020) trains each of three
 * on the pixels both others select ('intersection'). Feed `mask` to a loss's `mask` input. The forget rate comes from a
 * schedule node (LinearRampup) or the `forgetRate` param. PyMIC's NLLCoTeaching keeps the int(keep · n) smallest as
 * here; its NLLTriNet keeps the pixels below the keep-ratio quantile, the same up to ties and the quantile's
 * interpolation. Scope 'class' (micflow's, not PyMIC's) ranks within each label class, so a class whose pixels are all
 * hard (a small structure) keeps its share too. The mask is computed off the gradient tape (a constant to the
 * optimiser); `kept` reports the fraction of pixels kept.
 */
export class SmallLossSelection extends TensorStage<SmallLossSelectionParams, typeof smallLossSelectionInputs> {
  static readonly className = 'SmallLossSelection';
  static readonly description = 'Mask of the (1 - forget rate) fraction of pixels with the smallest loss, from one or more loss maps (no gradient)';
  static readonly reference =
    'Han et al. Co-teaching. NeurIPS 2018; Zhang et al. Robust Medical Image Segmentation from Non-expert Annotations with Tri-network. MICCAI 2020';
  static readonly paramsSchema = params;
  static readonly inputs = smallLossSelectionInputs;
  static readonly outputs = smallLossSelectionOutputs;

  static checkWiring(p: SmallLossSelectionParams, lengths: Readonly<Record<string, number>>): string | undefined {
    const wired = lengths.forgetRate !== undefined;
    if (wired && p.forgetRate !== null) return 'forgetRate is both wired and set in params; use one';
    if (!wired && p.forgetRate === null) return 'no forget rate: wire a schedule to input "forgetRate" or set params.forgetRate';
    const labelled = lengths.label !== undefined;
    if (p.scope === 'class' && !labelled) return 'scope "class" ranks within each label class: wire input "label"';
    if (p.scope !== 'class' && labelled) return `input "label" is read only with scope "class" (scope is "${p.scope}")`;
    return undefined;
  }

  override compute(inputs: InputsOf<typeof smallLossSelectionInputs>): Record<string, tf.Tensor> {
    const maps = inputs.lossMaps;
    const shape = maps[0].shape;
    if (maps.some((m) => m.shape.join('x') !== shape.join('x'))) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": loss maps differ in shape: ${maps.map((m) => `[${m.shape}]`).join(', ')}`);
    }
    if (shape.length < 2) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": a loss map must be [N, ...spatial], got [${shape}]`);
    }
    const forgetRate = inputs.forgetRate ?? tf.scalar(this.params.forgetRate ?? 0);
    if (forgetRate.rank !== 0) throw new MicflowError('invalid-shape', `node "${this.nodeName}": forgetRate must be a scalar, got [${forgetRate.shape}]`);
    const keep = tf.clipByValue(tf.sub(1, forgetRate), 0, 1) as tf.Scalar;
    const label = inputs.label;
    if (label !== undefined && label.shape.join('x') !== shape.join('x')) {
      throw new MicflowError('invalid-shape', `node "${this.nodeName}": label [${label.shape}] must have the loss maps' shape [${shape}]`);
    }
    const perClass = this.params.scope === 'class' ? this.perClassRanking(label) : undefined;
    const rows = this.params.scope === 'image' ? shape[0] : 1;
    const selectFrom = (m: tf.Tensor): tf.Tensor =>
      perClass
        ? smallestFractionPerClass(m, perClass.label, perClass.classes, keep)
        : tf.reshape(smallestFractionMask(tf.reshape(m, [rows, m.size / rows]) as tf.Tensor2D, keep), shape);
    const mask = withoutGradient(label === undefined ? maps : [...maps, label], (...values) => {
      const lossMaps = label === undefined ? values : values.slice(0, -1);
      return this.params.combine === 'mean' || lossMaps.length === 1
        ? selectFrom(lossMaps.length === 1 ? lossMaps[0] : tf.div(tf.addN(lossMaps), lossMaps.length))
        : lossMaps.map(selectFrom).reduce((a, b) => tf.mul(a, b));
    });
    return { mask, kept: tf.mean(mask) };
  }

  /**
   * What scope 'class' ranks with: the label map and the class count. The schema requires `classes` and the wiring
   * check the `label` input for that scope; this says so again for a stage built outside a pipeline.
   */
  private perClassRanking(label: tf.Tensor | undefined): { label: tf.Tensor; classes: number } {
    const classes = this.params.classes;
    if (label === undefined || classes === null) {
      throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": scope "class" needs the "label" input and params.classes`);
    }
    return { label, classes };
  }
}
