import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, tap } from 'rxjs';
import { assignVariables, InMemoryCheckpoints, type StoredTensor } from '../checkpoints/in-memory-checkpoints.js';
import type { IterationEvent, RunEvent } from '../events/run-event.js';
import { InMemoryRunFiles } from '../io/run-files.js';
import { compilePipeline } from '../graph/compile-pipeline.js';
import type { NodeDefinition, PipelineDefinition } from '../graph/pipeline-definition.js';
import type { RunContext } from '../graph/run-context.js';
import type { StageClass } from '../graph/stage.js';
import type { StageRegistry } from '../graph/stage-registry.js';
import { assertValidPipeline } from '../graph/validate-pipeline.js';
import { applyOverrides } from '../run/pipeline-overrides.js';
import { selectBackend } from '../runtime/backend-selection.js';
import '../runtime/register-gradients.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { browserBackendCandidates, type BrowserBackendName } from './browser-backends.js';
import { browserStageRegistry } from './browser-stages.js';
import { OPENED_FILES_DATASET } from './opened-files-dataset.js';
import type { OpenedFiles } from './opened-files.js';

export interface BrowserRunOptions {
  /** The pipeline module's default export, as `npm run pipeline` loads it in Node. */
  readonly definition: PipelineDefinition;
  /** `--set key=value` overrides, applied as in Node (pipeline-overrides.ts). */
  readonly set?: readonly string[];
  /** The data root's files the user opened, by path relative to it (CSV lists and the images they name). */
  readonly files: OpenedFiles;
  /** The tfjs backend; absent, the first that works of webgpu, webgl, wasm, cpu. */
  readonly backend?: BrowserBackendName;
  /**
   * Run only the training part: the nodes the optimisers and probes read, directly or not. Validation, evaluation
   * and checkpoint hooks (and the datasets only they read) are left out and listed in the result; without this a
   * pipeline with a Node-only hook is refused at validation, naming it.
   */
  readonly trainingOnly?: boolean;
  /** Nodes kept under `trainingOnly` although no optimiser reads them (with what they read), e.g. a preview hook. */
  readonly keep?: readonly string[];
  /** Stage classes of the caller's own beside the built-ins (a hook that reports to the page, say). */
  readonly extraStages?: readonly StageClass[];
  /**
   * Values every network variable starts from instead of its initialiser, by variable name (a checkpoint's
   * variables: fine-tuning). Every variable of every network must be there with its shape, or the run stops before
   * its first iteration, naming what does not fit.
   */
  readonly initialWeights?: ReadonlyMap<string, StoredTensor>;
  /** Called with every event of the run as it comes (iterations, warnings, run-finished). */
  readonly onEvent?: (event: RunEvent) => void;
}

export interface BrowserRunResult {
  readonly backend: string;
  /** Which backend runs and why (the others tried were not available). */
  readonly backendReason: string;
  /** Nodes left out by `trainingOnly`, in the pipeline's order. */
  readonly leftOut: readonly string[];
  readonly iterations: readonly IterationEvent[];
  readonly events: readonly RunEvent[];
  /** The run's checkpoints (a Checkpoint hook's snapshots, Validate's best), in memory. */
  readonly checkpoints: InMemoryCheckpoints;
  /** The files its stages wrote (Evaluate's table, Validate's overlays), in memory. */
  readonly files: InMemoryRunFiles;
}

/**
 * The pipeline a tab runs: overrides applied, every CsvDataset node reading the opened files (OpenedFilesDataset,
 * same params and node name, so its randomness and its samples are those of the Node run), and with `trainingOnly`
 * only the nodes training needs.
 */
export function browserPipelineOf(definition: PipelineDefinition, registry: StageRegistry, options: Pick<BrowserRunOptions, 'set' | 'trainingOnly' | 'keep'> = {}): { definition: PipelineDefinition; leftOut: string[] } {
  const overridden = applyOverrides(definition, options.set ?? []);
  const nodes: Record<string, NodeDefinition> = Object.fromEntries(
    Object.entries(overridden.nodes).map(([name, node]) => [name, node.stage === 'CsvDataset' ? { ...node, stage: OPENED_FILES_DATASET } : node]),
  );
  if (!options.trainingOnly) return { definition: { ...overridden, nodes }, leftOut: [] };
  const kept = new Set<string>();
  const stack = Object.keys(nodes).filter((name) => {
    const kind = registry.get(nodes[name].stage)?.kind;
    return kind === 'optimiser' || kind === 'probe' || (options.keep ?? []).includes(name);
  });
  while (stack.length) {
    const name = stack.pop()!;
    if (kept.has(name) || !nodes[name]) continue;
    kept.add(name);
    for (const wiring of Object.values(nodes[name].inputs ?? {})) {
      for (const item of Array.isArray(wiring) ? wiring : [wiring]) if (typeof item === 'string') stack.push(item.split('.')[0]);
    }
  }
  const leftOut = Object.keys(nodes).filter((name) => !kept.has(name));
  return { definition: { ...overridden, nodes: Object.fromEntries(Object.entries(nodes).filter(([name]) => kept.has(name))) }, leftOut };
}

/**
 * Runs a pipeline module in a browser tab (or any JavaScript runtime without Node's file system): validated for the
 * browser with the same validator (a Node-only stage is refused, naming the node and why), compiled by the same
 * compiler and scheduled by the same tick scheduler as in Node, on a tfjs backend of the tab, with its data from
 * the opened files. Checkpoints stay in memory; nothing is written or uploaded.
 */
export async function runPipelineInBrowser(options: BrowserRunOptions): Promise<BrowserRunResult> {
  const registry = browserStageRegistry(options.files, options.extraStages);
  const { definition, leftOut } = browserPipelineOf(options.definition, registry, options);
  const validated = assertValidPipeline(definition, registry, `pipeline "${definition.name}" in the browser`, { environment: 'browser' });
  const selection = await selectBackend(tf, browserBackendCandidates, options.backend, 'backend option');
  const { schedule } = validated.definition;
  const checkpoints = new InMemoryCheckpoints();
  const files = new InMemoryRunFiles();
  const runContext: RunContext = {
    pipelineName: validated.definition.name,
    dataRoot: '(opened files)',
    runDirectory: undefined,
    iterations: schedule.iterations,
    seed: schedule.seed,
    checkpoints,
    files,
  };
  const compiled = await compilePipeline(validated, new SeededRandom(schedule.seed), runContext);
  if (options.initialWeights) {
    try {
      assignVariables(options.initialWeights, [...compiled.networks.values()].map((state) => state.network), 'the initial weights');
    } catch (error) {
      compiled.dispose();
      throw error;
    }
  }
  const events: RunEvent[] = [];
  const iterations: IterationEvent[] = [];
  await lastValueFrom(
    compiled.run({ backend: tf.getBackend(), backendReason: selection.reason }).pipe(
      tap((event) => {
        events.push(event);
        if (event.type === 'iteration') iterations.push(event);
        options.onEvent?.(event);
      }),
    ),
    { defaultValue: undefined },
  );
  return { backend: tf.getBackend(), backendReason: selection.reason, leftOut, iterations, events, checkpoints, files };
}
