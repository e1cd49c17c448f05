import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom } from 'rxjs';
import { browserBackendCandidates, type BrowserBackendName } from '../browser/browser-backends.js';
import { browserStageRegistry } from '../browser/browser-stages.js';
import { browserPipelineOf } from '../browser/run-pipeline-in-browser.js';
import { assignVariables, InMemoryCheckpoints, type StoredTensor } from '../checkpoints/in-memory-checkpoints.js';
import { compileNodes } from '../graph/compile-nodes.js';
import { assertValidPipeline } from '../graph/validate-pipeline.js';
import { predictWholeImage } from '../inference/predict-whole-image.js';
import type { OpenedFiles } from '../browser/opened-files.js';
import { selectBackend } from '../runtime/backend-selection.js';
import '../runtime/register-gradients.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { predictionPreviewStage, type PredictionPreview } from './prediction-preview-stage.js';
import { STUDIO_PREVIEW_LIST } from './studio-files.js';
import { studioPipelineOptions, studioPreviewNodes, studioScribblePipeline, type StudioPipelineOptions } from './studio-pipeline.js';

/**
 * The network's prediction of the preview cases (the image on screen, or every slice of a volume) without training:
 * the studio pipeline's network and its preview branch only, compiled by the same compiler (so the preprocessing is
 * the pipeline's), the weights assigned, each case predicted whole in inference mode. What the studio's "Predict"
 * shows before any scribble, and what "Accept" can take without a run.
 */
export async function predictStudioCases(options: {
  readonly options: StudioPipelineOptions;
  readonly files: OpenedFiles;
  readonly backend?: BrowserBackendName;
  readonly weights?: ReadonlyMap<string, StoredTensor>;
  readonly onPrediction: (prediction: PredictionPreview) => void;
}): Promise<{ backend: string; backendReason: string; cases: number }> {
  const parsed = studioPipelineOptions.parse(options.options);
  const definition = studioScribblePipeline(parsed);
  const preview = studioPreviewNodes(parsed, STUDIO_PREVIEW_LIST);
  const registry = browserStageRegistry(options.files, [predictionPreviewStage(() => undefined)]);
  const { definition: browserDefinition } = browserPipelineOf({ ...definition, nodes: { ...definition.nodes, ...preview } }, registry);
  const validated = assertValidPipeline(browserDefinition, registry, 'the studio prediction', { environment: 'browser' });
  const selection = await selectBackend(tf, browserBackendCandidates, options.backend, 'backend option');
  const lastTransform = Object.keys(preview).filter((name) => name !== 'preview').pop()!;
  const random = new SeededRandom(parsed.seed);
  const compiled = await compileNodes(validated, [parsed.networkNode, lastTransform], {
    run: { pipelineName: definition.name, dataRoot: '(opened files)', runDirectory: undefined, iterations: parsed.iterations, seed: parsed.seed, checkpoints: new InMemoryCheckpoints() },
    random,
  });
  try {
    const network = compiled.networks.get(parsed.networkNode)!.network;
    if (options.weights) assignVariables(options.weights, [network], 'the starting checkpoint');
    const stream = compiled.streams.get(`${lastTransform}.samples`)!;
    const cases = new SeededRandom(0);
    for (let index = 0; index < stream.size; index++) {
      const sample = await lastValueFrom(stream.read(index, cases.derive('case', index)));
      const { labels, classes } = predictWholeImage(network, sample.image);
      options.onPrediction({ iteration: 0, final: true, index, id: sample.id, shape: sample.image.shape.slice(0, -1), classes, labels });
    }
    return { backend: tf.getBackend(), backendReason: selection.reason, cases: stream.size };
  } finally {
    compiled.dispose();
  }
}
