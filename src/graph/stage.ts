import type * as tf from '@tensorflow/tfjs-core';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { StoredTensor } from '../checkpoints/checkpoint-store.js';
import type { DataCheckContext, DataCheckReport } from './data-check.js';
import type { RunEvent } from '../events/run-event.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';
import type { SeededRandom } from '../runtime/seeded-random.js';
import type { PortSpec, PortSpecs } from './port-spec.js';
import type { SampleStream } from './sample.js';
import type { StageContext } from './stage-context.js';

/**
 * How the compiler runs a stage:
 * - `samples`:   builds sample streams (datasets, transforms) once, when the run starts.
 * - `feeder`:    turns a sample stream into batch tensors, one batch per training tick, with bounded prefetch.
 * - `network`:   owns state (a network's variables); its `net` output is a reference other nodes read.
 * - `tensor`:    computes tensors from tensors inside a tick, under the gradient tape of the optimiser it feeds.
 * - `optimiser`: a sink; each tick it differentiates its `loss` input with respect to its networks and steps.
 * - `hook`:      a sink that runs between ticks (validation, checkpoints, evaluation) and reports events.
 * - `probe`:     a sink computed like a `tensor` stage within the tick of the optimiser whose loss depends on everything
 *                it reads; its scalar outputs are reported with that optimiser's terms (diagnostics: what a
 *                selection mask drops, how confident a teacher is) and feed nothing.
 */
export type StageKind = 'samples' | 'feeder' | 'network' | 'tensor' | 'optimiser' | 'hook' | 'probe';

/** Where a pipeline runs: Node (the CLI, workers) or a browser tab (the bundle built from src/browser). */
export type RunEnvironment = 'node' | 'browser';

/** The value a `network` port carries. */
export interface NetworkState {
  /** The node that owns the network. */
  readonly node: string;
  readonly network: SegmentationNetwork;
  /**
   * Builds a new network of the same architecture and configuration under another name (fresh variables), for
   * stages that keep a copy of a network (an EMA teacher, a second co-teaching net initialised alike).
   */
  readonly createLike?: (name: string, random: SeededRandom) => SegmentationNetwork;
}

/** What a tick tells a tensor node. */
export interface TickContext {
  readonly iteration: number;
  readonly iterations: number;
  /** Randomness for this node in this tick: the same if the node is evaluated twice in one tick. */
  readonly random: SeededRandom;
}

/** What the scheduler tells a hook. */
export interface HookMoment {
  readonly iteration: number;
  readonly iterations: number;
  /** True once, after the last iteration. */
  readonly final: boolean;
}

/** The value one port of a given spec carries: a tensor (scalars are rank-0 tensors), a sample stream or a network. */
export type PortValue<S extends PortSpec> = S['type'] extends 'network'
  ? NetworkState
  : S['type'] extends 'samples'
    ? SampleStream
    : tf.Tensor;

type WiredValue<S extends PortSpec> = S extends { readonly list: true } ? readonly PortValue<S>[] : PortValue<S>;
type OptionalPorts<I extends PortSpecs> = { [K in keyof I]: I[K] extends { readonly optional: true } ? K : never }[keyof I];

/**
 * What a stage's `compute`/`run`/`build`/`streams`/`open` receives, typed from its port declarations: one value per
 * plain port, a readonly array per list port, possibly undefined for an optional port. A stage declares its ports as
 * a module constant (`const inputs = {...} as const satisfies PortSpecs`), sets `static readonly inputs = inputs` and
 * extends e.g. `TensorStage<Params, typeof inputs>`.
 */
export type InputsOf<I extends PortSpecs> = string extends keyof I
  ? UntypedInputs
  : {
      readonly [K in Exclude<keyof I, OptionalPorts<I>>]: WiredValue<I[K]>;
    } & {
      readonly [K in OptionalPorts<I>]?: WiredValue<I[K]>;
    };

/** Inputs of a stage whose ports are not declared as a constant type (the generic default). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedInputs = Readonly<Record<string, any>>;

/**
 * What a stage keeps from tick to tick besides its networks' variables (optimiser moments, a queue, a score), as a
 * checkpoint stores it: JSON values and tensors read back to host memory.
 */
export interface StageState {
  readonly values?: unknown;
  readonly tensors?: Readonly<Record<string, StoredTensor>>;
}

/**
 * A stage (or a feeder's batch source) whose state a resumed run needs. The checkpoint store reads every stateful
 * node through these two methods; nothing in the store knows a stage by name.
 */
export interface Stateful {
  /** The state at the end of the current iteration (a copy: later ticks must not change it). */
  saveState(): Promise<StageState> | StageState;
  /** Continues from a saved state; the stage makes its own tensors from the stored values. */
  restoreState(state: StageState): void;
}

export function isStateful(value: unknown): value is Stateful {
  return typeof (value as Partial<Stateful> | undefined)?.saveState === 'function' && typeof (value as Partial<Stateful>).restoreState === 'function';
}

/** Base of every stage: holds the context the compiler gave it. */
export abstract class Stage<P = unknown> {
  constructor(readonly context: StageContext<P>) {}
  get params(): P {
    return this.context.params;
  }
  get nodeName(): string {
    return this.context.nodeName;
  }
  /** Releases tensors and handles; called once when the run ends or fails. */
  dispose(): void {}
}

export abstract class SampleStreamStage<P = unknown, I extends PortSpecs = PortSpecs> extends Stage<P> {
  static readonly kind: StageKind = 'samples';
  /** Builds this node's output streams from its input streams. Called once per run. */
  abstract streams(inputs: InputsOf<I>): Promise<Record<string, SampleStream>>;
}

/**
 * Pulls batches on demand from a sample stream. A source whose position matters for a resumed run (epoch, shuffle
 * cursor) also implements {@link Stateful}; one that can say where its last batch came from implements `lastSources`.
 */
export interface BatchSource extends Partial<Stateful> {
  /** Where the samples of the batch last taken came from (file names or list rows), for messages. */
  lastSources?(): readonly string[];
  /** Tensors for the next batch, keyed by output port. The caller disposes them. */
  next(): Promise<Record<string, tf.Tensor>>;
  /** The epoch (1-based pass over the samples) the last batch taken belongs to; 0 before the first. */
  epoch(): number;
  close(): void;
}

export abstract class FeederStage<P = unknown, I extends PortSpecs = PortSpecs> extends Stage<P> {
  static readonly kind: StageKind = 'feeder';
  abstract open(inputs: InputsOf<I>): BatchSource;
}

export abstract class NetworkStage<P = unknown, I extends PortSpecs = PortSpecs> extends Stage<P> {
  static readonly kind: StageKind = 'network';
  /** Builds (or references) the network; called once, after the nodes it reads are built. */
  abstract build(inputs: InputsOf<I>): NetworkState;
  /** Called after every optimiser step of a tick, e.g. to move an EMA copy toward its source. */
  afterStep(_tick: { iteration: number }): void {}
}

export abstract class TensorStage<P = unknown, I extends PortSpecs = PortSpecs> extends Stage<P> {
  static readonly kind: StageKind = 'tensor';
  /** Runs inside the tick's gradient tape and tidy scope; must not read tensor data back. */
  abstract compute(inputs: InputsOf<I>, tick: TickContext): Record<string, tf.Tensor>;
}

/** A tensor stage that is a sink: computed for its reported scalar outputs only (see StageKind `probe`). */
export abstract class ProbeStage<P = unknown, I extends PortSpecs = PortSpecs> extends TensorStage<P, I> {
  static override readonly kind: StageKind = 'probe';
}

export abstract class OptimiserStage<P = unknown> extends Stage<P> {
  static readonly kind: StageKind = 'optimiser';
  /** Learning rate that the step at `iteration` uses. */
  abstract learningRate(iteration: number): number;
  /** Applies gradients (keyed by variable name) for the variables of its networks. */
  abstract apply(gradients: Record<string, tf.Tensor>, variables: readonly tf.Variable[], iteration: number): void;
}

export abstract class HookStage<P = unknown, I extends PortSpecs = PortSpecs> extends Stage<P> {
  static readonly kind: StageKind = 'hook';
  /** Whether the hook runs at this moment (e.g. every N iterations, or only at the end). */
  abstract runsAt(moment: HookMoment): boolean;
  /** Does the hook's work; emits its events and completes. Errors travel down the returned stream. */
  abstract run(inputs: InputsOf<I>, moment: HookMoment): Observable<RunEvent>;
}

/** What a dataset's {@link StageClass.firstCaseShape} reports. */
export interface FirstCaseShape {
  /** The dataset list (absolute path). */
  readonly list: string;
  /** The first case's first image file. */
  readonly file: string;
  /** Its spatial shape, slowest axis first ([H, W] or [D, H, W]). */
  readonly shape: readonly number[];
}

/** The static side of a stage class: what the registry, the validator and `--list` read. */
export interface StageClass<P = any> {
  new (context: StageContext<P>): Stage<P>;
  /** The name pipelines use (`stage: 'UNet2D'`). */
  readonly className: string;
  /** One line for `--list`. */
  readonly description: string;
  /** Paper or source the stage implements, where there is one. */
  readonly reference?: string;
  readonly kind: StageKind;
  /**
   * For hooks that score a network (`net` input) on a sample stream (`samples` input): which split they score,
   * `'test'` (the final evaluation) or `'validation'`. Inference rebuilds its preprocessing from the test
   * evaluation's sample branch, else the validation's.
   */
  readonly evaluates?: 'test' | 'validation';
  readonly paramsSchema: z.ZodType<P>;
  /**
   * Optional: the environments the stage runs in; absent, it runs in every one. A stage that needs Node (files on
   * disk, worker threads, the run directory) declares `['node']` and says why in `runsInReason`; validating a pipeline
   * for the browser refuses its nodes with that reason (see validatePipeline's `environment`).
   */
  readonly runsIn?: readonly RunEnvironment[];
  /** Why the stage runs only where `runsIn` says, for the validation message. */
  readonly runsInReason?: string;
  readonly inputs: PortSpecs;
  readonly outputs: PortSpecs;
  /**
   * Optional: the output ports for given params, for stages whose outputs depend on their configuration (a forward
   * pass over a network with K heads has K logits/prob pairs). When present it replaces `outputs` for that node;
   * `outputs` then documents the ports every configuration has.
   */
  outputsFor?(params: P): PortSpecs;
  /**
   * Optional, for stages that read files (datasets): checks everything they would read — every file decodes, sizes
   * agree, values are finite, labels lie in the classes — all at once, before training (`npm run pipeline` does this
   * by default; `--check-data` alone).
   */
  checkData?(params: P, context: DataCheckContext): Promise<DataCheckReport>;
  /**
   * Optional, for network stages built from an architecture: the images the network takes, 2 ([N, H, W, C]) or 3
   * ([N, D, H, W, C]). A network stage without it (EmaCopy, MultiNet) takes the dimensionality of the networks it reads.
   */
  readonly spatialDims?: 2 | 3;
  /** Optional, for sample transforms whose output is always of this dimensionality whatever comes in (RandomSlice: 2). */
  readonly outputSpatialDims?: 2 | 3;
  /**
   * Optional, for datasets: the first case's list, name and spatial shape (slowest axis first), read as cheaply as
   * possible (an image header where the format has one), for checks before training; undefined when there is none.
   */
  firstCaseShape?(params: P, dataRoot: string): Promise<FirstCaseShape | undefined>;
  /** Sample transforms that change label values (LabelConvert…): a dataset upstream of one is not checked against the network's classes. */
  readonly remapsLabels?: boolean;
  /**
   * Optional check of the wiring that port types cannot express, given the number of sources wired to each list
   * input (e.g. as many weights as terms). Returns a problem message or undefined.
   */
  checkWiring?(params: P, listLengths: Readonly<Record<string, number>>): string | undefined;
}
