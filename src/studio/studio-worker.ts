/**
 * The studio's Web Worker (build/browser/studio-worker.js): one fine-tuning run per worker, off the page's thread so
 * that drawing stays responsive. The page posts a {@link StudioTrainRequest}; the worker runs the studio pipeline
 * (studio-pipeline.ts) with runPipelineInBrowser on the chosen backend (webgl through OffscreenCanvas, wasm, cpu)
 * and posts {@link StudioWorkerMessage}s: each iteration's losses, the preview prediction every few iterations, and
 * at the end the fine-tuned checkpoint as the files `npm run infer` reads (or the error, with its details).
 */
import { type BrowserBackendName, setBrowserWasmPaths } from '../browser/browser-backends.js';
import { setItkWasmPaths } from '../browser/itk-wasm-images.js';
import { runPipelineInBrowser } from '../browser/run-pipeline-in-browser.js';
import { checkpointManifestOf, decodeCheckpointFiles, encodeCheckpointFiles, type CheckpointManifest } from '../checkpoints/checkpoint-files.js';
import { MicflowError } from '../errors/micflow-error.js';
import { predictStudioCases } from './predict-studio-cases.js';
import { predictionPreviewStage, type PredictionPreview } from './prediction-preview-stage.js';
import { STUDIO_PREVIEW_LIST, STUDIO_VALUES_FILE } from './studio-files.js';
import { studioPreviewNodes, studioScribblePipeline, type StudioPipelineOptions } from './studio-pipeline.js';

export interface StudioTrainRequest {
  readonly type: 'train';
  readonly options: StudioPipelineOptions;
  /** The run's files (studioRunFiles), as [path, bytes] pairs. */
  readonly files: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly backend?: BrowserBackendName;
  /** Predict every preview case after the last iteration (a volume's slices), not only the first. */
  readonly previewAllAtEnd?: boolean;
  /** The checkpoint to start from (manifest and value file); absent, the network starts from its initialiser. */
  readonly initial?: { readonly manifest: unknown; readonly values: Uint8Array };
}

/** Predict the preview cases with the starting weights, without training. */
export interface StudioPredictRequest {
  readonly type: 'predict';
  readonly options: StudioPipelineOptions;
  /** The preview files (studioPreviewFiles), as [path, bytes] pairs. */
  readonly files: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly backend?: BrowserBackendName;
  readonly initial?: { readonly manifest: unknown; readonly values: Uint8Array };
}

export type StudioWorkerMessage =
  | { readonly type: 'started'; readonly backend: string; readonly backendReason: string }
  | {
      readonly type: 'iteration';
      readonly iteration: number;
      readonly iterations: number;
      readonly terms: Readonly<Record<string, number>>;
      readonly seconds: number;
      /** Tensors alive after the iteration (flat from one iteration to the next: nothing leaks). */
      readonly liveTensors: number;
    }
  | ({ readonly type: 'preview' } & PredictionPreview)
  | {
      readonly type: 'done';
      readonly backend: string;
      readonly backendReason: string;
      readonly leftOut: readonly string[];
      readonly manifest: CheckpointManifest;
      readonly values: Uint8Array;
    }
  | { readonly type: 'predicted'; readonly backend: string; readonly backendReason: string; readonly cases: number }
  | { readonly type: 'failed'; readonly message: string; readonly details: readonly string[] };

interface WorkerScope {
  postMessage(message: StudioWorkerMessage, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: StudioTrainRequest | StudioPredictRequest }) => void): void;
}

/** Runs one request; every outcome is a message (errors too), never an exception past the worker. */
export async function runStudioRequest(request: StudioTrainRequest, post: WorkerScope['postMessage']): Promise<void> {
  try {
    const definition = studioScribblePipeline(request.options);
    const preview = studioPreviewNodes(request.options, STUDIO_PREVIEW_LIST, request.previewAllAtEnd ? 'all' : 'first');
    const initialWeights = weightsOf(request.initial);
    let started = false;
    const result = await runPipelineInBrowser({
      definition: { ...definition, nodes: { ...definition.nodes, ...preview } },
      files: new Map(request.files),
      backend: request.backend,
      trainingOnly: true,
      keep: ['save', 'preview'],
      extraStages: [predictionPreviewStage((p) => post({ type: 'preview', ...p }, [p.labels.buffer as ArrayBuffer]))],
      initialWeights,
      onEvent: (event) => {
        if (event.type === 'run-started' && !started) {
          started = true;
          post({ type: 'started', backend: event.backend, backendReason: event.backendReason });
        }
        if (event.type === 'iteration') post({ type: 'iteration', iteration: event.iteration, iterations: event.iterations, terms: event.terms, seconds: event.seconds, liveTensors: event.liveTensors });
      },
    });
    const snapshot = result.checkpoints.snapshotOf('studio');
    if (!snapshot) throw new MicflowError('invalid-checkpoint', 'the fine-tuning run ended without its "studio" checkpoint');
    const { manifest, values } = encodeCheckpointFiles({ tag: 'studio', iteration: snapshot.iteration, variables: snapshot.variables, valuesName: STUDIO_VALUES_FILE });
    post({ type: 'done', backend: result.backend, backendReason: result.backendReason, leftOut: result.leftOut, manifest, values }, [values.buffer as ArrayBuffer]);
  } catch (error) {
    const details = error instanceof MicflowError ? [...(error.details ?? [])] : [];
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), details });
  }
}

/** The variables of a starting checkpoint sent as its manifest and value file. */
function weightsOf(initial: StudioTrainRequest['initial']) {
  if (!initial) return undefined;
  const { manifest } = checkpointManifestOf(initial.manifest, 'initial.json', 'the starting checkpoint');
  return decodeCheckpointFiles(manifest, initial.values, 'the starting checkpoint').variables;
}

/** Predicts the preview cases with the starting weights (no training); every outcome is a message. */
export async function runStudioPrediction(request: StudioPredictRequest, post: WorkerScope['postMessage']): Promise<void> {
  try {
    const result = await predictStudioCases({
      options: request.options,
      files: new Map(request.files),
      backend: request.backend,
      weights: weightsOf(request.initial),
      onPrediction: (p) => post({ type: 'preview', ...p }, [p.labels.buffer as ArrayBuffer]),
    });
    post({ type: 'predicted', ...result });
  } catch (error) {
    const details = error instanceof MicflowError ? [...(error.details ?? [])] : [];
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), details });
  }
}

const scope = globalThis as unknown as WorkerScope & { importScripts?: unknown };
if (typeof scope.importScripts === 'function') {
  setBrowserWasmPaths(new URL('./', import.meta.url).href);
  setItkWasmPaths(new URL('./', import.meta.url).href);
  scope.addEventListener('message', (event) => {
    const post: WorkerScope['postMessage'] = (message, transfer) => scope.postMessage(message, transfer);
    if (event.data?.type === 'train') void runStudioRequest(event.data, post);
    if (event.data?.type === 'predict') void runStudioPrediction(event.data, post);
  });
}
