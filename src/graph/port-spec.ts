/**
 * The kinds of value that travel along the arrows of a pipeline graph.
 *
 * - `samples`: a stream of samples (images with labels) before batching; its value is a {@link SampleStream}.
 * - `tensor`:  a tensor computed once per training tick (a batch of images, probabilities, pseudo labels).
 * - `scalar`:  a rank-0 tensor computed once per tick (a loss term, a ramp-up weight). Constants may stand in for
 *              scalar list items (`weights: [1, 'rampup']`).
 * - `network`: a reference to a network's state (its variables). Network arrows are references, not data: they
 *              carry explicit state such as an EMA teacher following its student, and do not count as cycles.
 */
export type PortType = 'samples' | 'tensor' | 'scalar' | 'network';

export const portTypes: readonly PortType[] = ['samples', 'tensor', 'scalar', 'network'];

/** One named input or output port of a stage. */
export interface PortSpec {
  readonly type: PortType;
  readonly description: string;
  /** The input takes a list of references (`terms: ['a', 'b']`). */
  readonly list?: boolean;
  /** The input may be left unwired. */
  readonly optional?: boolean;
}

export type PortSpecs = Readonly<Record<string, PortSpec>>;
