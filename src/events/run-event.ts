/**
 * Everything a run reports travels as one of these events on a single stream, keyed by node name where a node
 * produced it. Observers (console progress, JSONL writer, a user's own) subscribe to that stream.
 */
export type RunEvent =
  | RunStartedEvent
  | IterationEvent
  | ValidationEvent
  | ValidationOverlayEvent
  | CheckpointEvent
  | EvaluationEvent
  | CaseMetricsEvent
  | WarningEvent
  | EarlyStoppedEvent
  | RunResumedEvent
  | RunInterruptedEvent
  | RunFinishedEvent;

export interface RunStartedEvent {
  readonly type: 'run-started';
  readonly pipeline: string;
  readonly backend: string;
  readonly backendReason: string;
  readonly iterations: number;
  readonly seed: number;
  readonly runDirectory: string | undefined;
  readonly time: string;
}

export interface IterationEvent {
  readonly type: 'iteration';
  readonly iteration: number;
  readonly iterations: number;
  /** Every scalar a tensor node produced this tick (loss terms, weights), keyed by node (and port when not the first). */
  readonly terms: Readonly<Record<string, number>>;
  /** Learning rate per optimiser node. */
  readonly learningRates: Readonly<Record<string, number>>;
  /** Epoch each feeder's batch came from this tick (1-based; each feeder cycles through its own samples). */
  readonly epochs: Readonly<Record<string, number>>;
  /** Seconds spent waiting for batches, and in the whole tick. */
  readonly dataSeconds: number;
  readonly seconds: number;
  /** Live tensors after the tick (flat across iterations unless something leaks). */
  readonly liveTensors: number;
  /** Resident set size of the process after the tick, in bytes (absent in metrics written before it was recorded). */
  readonly rssBytes?: number;
}

export interface ValidationEvent {
  readonly type: 'validation';
  readonly node: string;
  readonly iteration: number;
  readonly classNames: readonly string[];
  /** Mean over cases of each class's Dice, background included at index 0. */
  readonly classDice: readonly number[];
  /** Mean of the foreground classes' Dice. */
  readonly meanForegroundDice: number;
  readonly best: boolean;
  readonly seconds: number;
}

/**
 * One validation case's image, ground truth and prediction, written to the run directory at a validation (see
 * src/io/validation-overlay-file.ts): what the dashboard and TensorBoard show as overlays.
 */
export interface ValidationOverlayEvent {
  readonly type: 'validation-overlay';
  readonly node: string;
  readonly iteration: number;
  /** The case's id and where it came from. */
  readonly case: string;
  readonly origin: string;
  /** Spatial size: [rows, columns] or [slices, rows, columns]. */
  readonly shape: readonly number[];
  readonly classNames: readonly string[];
  /** The overlay file, relative to the run directory (`overlays/<node>/<iteration>-<case index>.mfov`). */
  readonly file: string;
}

export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly node: string;
  readonly iteration: number;
  readonly tag: string;
  readonly path: string;
}

export interface EvaluationEvent {
  readonly type: 'evaluation';
  readonly node: string;
  readonly checkpoint: string;
  readonly cases: number;
  readonly classNames: readonly string[];
  readonly classDice: readonly number[];
  readonly classDiceStd: readonly number[];
  readonly meanForegroundDice: number;
  readonly tablePath: string | undefined;
  /** The same scores after post-processing the predictions (EvaluateSegmentation's `postprocess`), when it was asked for. */
  readonly postprocessed?: {
    /** e.g. 'largest-component-per-class'. */
    readonly mode: string;
    readonly classDice: readonly number[];
    readonly classDiceStd: readonly number[];
    readonly meanForegroundDice: number;
    readonly tablePath: string | undefined;
  };
}

/** One evaluated case, as soon as it is done: every metric per label (see src/metrics/segmentation-metrics.ts). */
export interface CaseMetricsEvent {
  readonly type: 'case-metrics';
  readonly node: string;
  readonly case: string;
  /** Per label: its value and each metric (NaN where undefined, e.g. a distance with an empty side). */
  readonly labels: ReadonlyArray<Readonly<Record<string, number>>>;
  /** The same after post-processing the prediction, when the evaluation has a `postprocess`. */
  readonly postprocessedLabels?: ReadonlyArray<Readonly<Record<string, number>>>;
}

export interface RunFinishedEvent {
  readonly type: 'run-finished';
  readonly iterations: number;
  readonly seconds: number;
}

/** Something worth a look that does not stop the run (a loss far above its running median). */
export interface WarningEvent {
  readonly type: 'warning';
  readonly iteration: number;
  /** The node the warning is about, when there is one. */
  readonly node?: string;
  readonly message: string;
}

/** A hook ended training early (validation stopped improving); the final hooks still run. */
export interface EarlyStoppedEvent {
  readonly type: 'early-stopped';
  readonly node: string;
  readonly iteration: number;
  readonly message: string;
}

/** A run continued from its latest checkpoint (`--resume`): iterations after `iteration` follow. */
export interface RunResumedEvent {
  readonly type: 'run-resumed';
  readonly iteration: number;
  readonly iterations: number;
  readonly checkpoint: string;
  readonly time: string;
}

/** The run stopped on request after finishing a tick, with its state saved as `latest`. */
export interface RunInterruptedEvent {
  readonly type: 'run-interrupted';
  readonly iteration: number;
  readonly iterations: number;
  /** What asked it to stop. */
  readonly reason: 'SIGINT' | 'SIGTERM' | 'stop file';
  /** The checkpoint written, when the run has a directory. */
  readonly checkpoint: string | undefined;
  readonly time: string;
}
