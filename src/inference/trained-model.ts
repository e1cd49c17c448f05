import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { defer, lastValueFrom, of } from 'rxjs';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { MicflowError } from '../errors/micflow-error.js';
import { compileNodes } from '../graph/compile-nodes.js';
import { readRunConfig } from '../graph/run-config.js';
import { inMemoryRunContext } from '../graph/run-context.js';
import type { Sample, SampleStream } from '../graph/sample.js';
import type { NetworkState } from '../graph/stage.js';
import { StageRegistry } from '../graph/stage-registry.js';
import type { ValidatedPipeline } from '../graph/validated-pipeline.js';
import type { TensorRuntime } from '../runtime/tensor-runtime.js';

/** A trained network ready to predict, with the preprocessing its pipeline's test branch applied. */
export interface TrainedModel {
  readonly runDirectory: string;
  readonly checkpointPath: string;
  /** Iteration the checkpoint was saved at. */
  readonly iteration: number;
  readonly network: NetworkState;
  /** Node names of the sample transforms applied before prediction, in order (e.g. ['testNormalised']). */
  readonly preprocessingNodes: readonly string[];
  /** Image columns of the test branch's dataset (for reading CSV lists the way training did). */
  readonly imageColumns: readonly string[];
  /** Applies the test branch's transforms to a sample. */
  preprocess(sample: Sample): Promise<Sample>;
  dispose(): void;
}

export interface LoadTrainedModelOptions {
  readonly container: Container;
  readonly runtime: TensorRuntime;
  /** Network node to load when the pipeline has several; default the one its evaluation node reads, else the only one. */
  readonly networkNode?: string;
  /** Checkpoint tag when a run directory is given; default 'best', else 'latest', else the only one. */
  readonly checkpointTag?: string;
  /**
   * Appended to the network's name (which prefixes its variable names), so several models of the same pipeline can be
   * alive at once (an ensemble): tfjs refuses two variables of one name.
   */
  readonly instanceSuffix?: string;
}

/**
 * Rebuilds a trained network from a run directory (or a checkpoint manifest `<run>/checkpoints/<tag>.json`) through
 * the graph compiler: `config.json` is read back through the pipeline validator ({@link readRunConfig}), and
 * {@link compileNodes} builds the network node (with the networks it reads, e.g. a MultiNet's members, so that a
 * MultiNet predicts through its own `apply`) and the test branch — the sample transforms between the dataset and the
 * evaluation hook (a hook whose stage `evaluates` the test split, else the validation split) — with the dataset
 * replaced by the cases given to {@link TrainedModel.preprocess}. Then the checkpoint's variables are loaded.
 *
 * @throws MicflowError naming the path or config key that is wrong.
 */
export async function loadTrainedModel(runOrCheckpoint: string, options: LoadTrainedModelOptions): Promise<TrainedModel> {
  const { runDirectory, checkpointPath } = resolveRunAndCheckpoint(runOrCheckpoint, options.checkpointTag);
  const configPath = join(runDirectory, 'config.json');
  const { validated } = readRunConfig(configPath, StageRegistry.fromContainer(options.container));
  const { networkNode, branch } = trainedModelLayout(validated, configPath, options.networkNode);

  const pending = new Map<number, Sample>();
  let nextCase = 0;
  const cases: SampleStream = {
    size: 0,
    origin: 'the cases given to inference',
    read: (index) => defer(() => of(pending.get(index)!)),
  };
  const compiled = await compileNodes(validated, [networkNode, ...(branch?.transforms.slice(-1) ?? [])], {
    run: inMemoryRunContext({ pipelineName: validated.definition.name, dataRoot: validated.definition.data }),
    random: options.runtime.random,
    provided: branch ? { [branch.source]: { samples: cases } } : {},
    networkNameSuffix: options.instanceSuffix,
  });
  const network = compiled.networks.get(networkNode)!;
  let iteration: number;
  try {
    const suffix = options.instanceSuffix ?? '';
    const storedNameOf = (name: string) => {
      const owner = compiled.names.find((node) => name.startsWith(`${node}${suffix}/`));
      return owner === undefined || suffix === '' ? name : `${owner}/${name.slice(owner.length + suffix.length + 1)}`;
    };
    iteration = await CheckpointStore.load(checkpointPath, [network.network], storedNameOf);
  } catch (error) {
    compiled.dispose();
    throw error;
  }
  const preprocessed = branch?.transforms.length ? compiled.streams.get(`${branch.transforms[branch.transforms.length - 1]}.samples`) : undefined;
  return {
    runDirectory,
    checkpointPath,
    iteration,
    network,
    preprocessingNodes: branch?.transforms ?? [],
    imageColumns: branch?.imageColumns ?? ['image'],
    async preprocess(sample) {
      if (!preprocessed) return sample;
      const index = nextCase++;
      pending.set(index, sample);
      try {
        return await lastValueFrom(preprocessed.read(index, sample.random));
      } finally {
        pending.delete(index);
      }
    },
    dispose: () => compiled.dispose(),
  };
}

/** Which network node of a run's pipeline inference loads, and the test branch that preprocesses its input. */
export interface TrainedModelLayout {
  readonly networkNode: string;
  /** The hook that scores it (whose test branch preprocesses), when the pipeline has one. */
  readonly evaluationNode?: string;
  /** The dataset node, the transforms after it in order, and its image columns; absent without an evaluation hook. */
  readonly branch?: { readonly source: string; readonly transforms: readonly string[]; readonly imageColumns?: readonly string[] };
}

/**
 * The network node inference loads (`wanted`, else the one the evaluation hook reads, else the only one) and the test
 * branch of that hook, read off a validated run config without compiling anything. `configPath` names the file in
 * messages.
 */
export function trainedModelLayout(validated: ValidatedPipeline, configPath: string, wanted?: string): TrainedModelLayout {
  const kindOf = (name: string) => validated.nodes.get(name)!.stageClass.kind;
  const networkNodes = validated.order.filter((name) => kindOf(name) === 'network');
  const evaluationNode = findEvaluationNode(validated, networkNodes, wanted);
  const networkNode = wanted ?? (evaluationNode ? sourceOf(validated, evaluationNode, 'net') : undefined) ?? (networkNodes.length === 1 ? networkNodes[0] : undefined);
  if (!networkNode || !networkNodes.includes(networkNode)) {
    throw new MicflowError(
      'invalid-argument',
      `${configPath}: ${wanted ? `no network node "${wanted}"` : 'cannot tell which network to load'}; network nodes: ${networkNodes.join(', ') || 'none'} (choose with --net)`,
    );
  }
  return { networkNode, evaluationNode, branch: evaluationNode ? testBranch(validated, evaluationNode, configPath) : undefined };
}

/**
 * The sample branch an evaluation hook reads: from its `samples` input upstream through sample-stream nodes that
 * read one stream each (the transforms), to the node that reads none (the dataset).
 */
function testBranch(validated: ValidatedPipeline, evaluationNode: string, configPath: string): { source: string; transforms: string[]; imageColumns?: string[] } {
  const transforms: string[] = [];
  let current = sourceOf(validated, evaluationNode, 'samples')!;
  for (;;) {
    const node = validated.nodes.get(current)!;
    const streamInputs = Object.entries(node.inputs).filter(([port]) => node.stageClass.inputs[port]?.type === 'samples');
    if (node.stageClass.kind !== 'samples' || streamInputs.length === 0) break;
    if (streamInputs.length > 1 || streamInputs[0][1].length !== 1) {
      throw new MicflowError('invalid-argument', `${configPath}: nodes.${current} reads several sample streams; inference rebuilds a single chain of transforms`);
    }
    transforms.unshift(current);
    const [source] = streamInputs[0][1];
    if (source.kind !== 'port') break;
    current = source.node;
  }
  const params = validated.nodes.get(current)!.params as { imageColumns?: unknown } | undefined;
  const imageColumns = Array.isArray(params?.imageColumns) && params.imageColumns.length ? params.imageColumns.map(String) : undefined;
  return { source: current, transforms, imageColumns };
}

/** The hook that scores the network on a sample stream: one whose stage evaluates the test split, else the validation split. */
function findEvaluationNode(validated: ValidatedPipeline, networkNodes: readonly string[], wanted: string | undefined): string | undefined {
  const candidates = validated.order.filter((name) => {
    const node = validated.nodes.get(name)!;
    const net = sourceOf(validated, name, 'net');
    return node.stageClass.evaluates !== undefined && net !== undefined && networkNodes.includes(net) && (!wanted || net === wanted) && sourceOf(validated, name, 'samples') !== undefined;
  });
  const rank = (name: string) => (validated.nodes.get(name)!.stageClass.evaluates === 'test' ? 0 : 1);
  return [...candidates].sort((a, b) => rank(a) - rank(b))[0];
}

/** The node wired to a (plain) input port of a node. */
function sourceOf(validated: ValidatedPipeline, node: string, port: string): string | undefined {
  const source = validated.nodes.get(node)?.inputs[port]?.[0];
  return source?.kind === 'port' ? source.node : undefined;
}

/** The run directory and checkpoint manifest a run directory (its best, else latest, else only checkpoint) or a manifest names. */
export function resolveRunAndCheckpoint(runOrCheckpoint: string, tag: string | undefined): { runDirectory: string; checkpointPath: string } {
  const path = resolve(runOrCheckpoint);
  if (!existsSync(path)) throw new MicflowError('invalid-argument', `${runOrCheckpoint}: no such run directory or checkpoint`);
  if (statSync(path).isFile()) {
    if (!path.endsWith('.json')) throw new MicflowError('invalid-argument', `${runOrCheckpoint}: a checkpoint is named by its manifest <tag>.json`);
    const runDirectory = basename(dirname(path)) === 'checkpoints' ? dirname(dirname(path)) : dirname(path);
    return { runDirectory, checkpointPath: path };
  }
  const directory = join(path, 'checkpoints');
  const available = existsSync(directory) ? readdirSync(directory).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
  const chosen = tag ?? ['best', 'latest'].find((t) => available.includes(t)) ?? (available.length === 1 ? available[0] : undefined);
  if (!chosen || !available.includes(chosen)) {
    throw new MicflowError(
      'invalid-checkpoint',
      `${runOrCheckpoint}: ${tag ? `no checkpoint "${tag}"` : 'no best or latest checkpoint'} in ${directory} (available: ${available.join(', ') || 'none'})`,
    );
  }
  return { runDirectory: path, checkpointPath: join(directory, `${chosen}.json`) };
}
