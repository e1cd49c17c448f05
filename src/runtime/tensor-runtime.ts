import * as tf from '@tensorflow/tfjs-core';
import { builtInBackendCandidates, type BackendCandidate } from './backend-candidates.js';
import { selectBackend, type BackendSelection } from './backend-selection.js';
import { SeededRandom } from './seeded-random.js';
import './register-gradients.js';

export interface TensorRuntimeArgs {
  /** Backend name from `--backend`; falls back to the MICFLOW_BACKEND environment variable, then automatic order. */
  backend?: string;
  seed?: number;
  candidates?: readonly BackendCandidate[];
  /** Where the backend request came from, for messages. */
  env?: NodeJS.ProcessEnv;
}

export interface LiveTensorReport {
  tensors: number;
  bytes: number;
  dataBuffers: number;
}

/**
 * The one place that owns TensorFlow.js. It chooses the backend, seeds randomness and reports live tensors so that
 * leaks are visible. Everything else imports tensor ops through `runtime.tf` or `@tensorflow/tfjs-core` but never
 * switches backends itself. Bound as a singleton in the container.
 */
export class TensorRuntime {
  readonly tf = tf;
  private constructor(
    readonly selection: BackendSelection,
    readonly random: SeededRandom,
  ) {}

  static async create(args: TensorRuntimeArgs = {}): Promise<TensorRuntime> {
    const env = args.env ?? process.env;
    const fromFlag = args.backend;
    const fromEnv = env.MICFLOW_BACKEND?.trim() || undefined;
    const requested = fromFlag ?? fromEnv;
    const selection = await selectBackend(
      tf,
      args.candidates ?? builtInBackendCandidates,
      requested,
      fromFlag !== undefined ? '--backend' : 'MICFLOW_BACKEND',
    );
    return new TensorRuntime(selection, new SeededRandom(args.seed ?? 0));
  }

  get backendName(): string {
    return tf.getBackend();
  }

  /** Live tensors and bytes held by tfjs right now. */
  liveTensors(): LiveTensorReport {
    const m = tf.memory();
    return { tensors: m.numTensors, bytes: m.numBytes, dataBuffers: m.numDataBuffers };
  }
}
