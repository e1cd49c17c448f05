import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { Sample } from '../graph/sample.js';
import { NetworkStage, type NetworkState, type StageClass } from '../graph/stage.js';
import { StageRegistry } from '../graph/stage-registry.js';
import type { RunContext } from '../graph/run-context.js';
import type { TensorRuntime } from '../runtime/tensor-runtime.js';
import { SampleTransformStage } from '../stages/transforms/sample-transform-stage.js';

/** The parts of a run directory's config.json (written by src/run/pipeline-run.ts) that inference reads. */
interface RunConfig {
  readonly name: string;
  readonly data?: string;
  readonly schedule?: { iterations?: number; seed?: number };
  readonly nodes: Record<string, { stage: string; params?: unknown; inputs?: Record<string, unknown> }>;
}

/** A trained network ready to predict, with the preprocessing its pipeline's test branch applied. */
export interface TrainedModel {
  readonly runDirectory: string;
  readonly checkpointPath: string;
  /** Iteration the checkpoint was saved at. */
  readonly iteration: number;
  readonly network: NetworkState;
  /** Node names of the transforms applied before prediction, in order (e.g. ['testNormalised']). */
  readonly preprocessingNodes: readonly string[];
  /** Image columns of the test branch's dataset (for reading CSV lists the way training did). */
  readonly imageColumns: readonly string[];
  /** Applies the test branch's transforms to a sample. */
  preprocess(sample: Sample): Sample;
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
   * alive at once (an ensemble): tfjs refuses two variables of one name. The checkpoint is then loaded through a
   * temporary copy of its manifest with the variable names renamed alike.
   */
  readonly instanceSuffix?: string;
}

/**
 * Rebuilds a trained network from a run directory (or a checkpoint manifest `<run>/checkpoints/<tag>.json`): the
 * network node's stage and params from `config.json`, built through the registered network stage (after the networks
 * it reads, e.g. a MultiNet's members, so that a MultiNet predicts through its own `apply`: its first member or the
 * mean of its members' logits), then the checkpoint's variables loaded into it. The preprocessing is the chain of sample transforms between the test dataset and the
 * pipeline's evaluation node (the hook reading this network and a sample stream, preferring one named Evaluate), e.g.
 * NormalizeWithMeanStd, so predictions see images as the network did during evaluation.
 *
 * @throws MicflowError('invalid-argument' | 'invalid-checkpoint') naming the path or config key that is wrong.
 */
export async function loadTrainedModel(runOrCheckpoint: string, options: LoadTrainedModelOptions): Promise<TrainedModel> {
  const { runDirectory, checkpointPath } = resolveRunAndCheckpoint(runOrCheckpoint, options.checkpointTag);
  const configPath = join(runDirectory, 'config.json');
  let config: RunConfig;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as RunConfig;
  } catch (error) {
    throw new MicflowError('invalid-argument', `${configPath}: cannot read the run's config (${(error as Error).message})`);
  }
  if (!config || typeof config.nodes !== 'object') throw new MicflowError('invalid-argument', `${configPath}: no "nodes" in the run's config`);
  const registry = StageRegistry.fromContainer(options.container);
  const classOf = (name: string): StageClass => {
    const stageName = config.nodes[name].stage;
    const stageClass = registry.get(stageName);
    if (!stageClass) {
      throw new MicflowError('invalid-argument', `${configPath}: nodes.${name}.stage "${stageName}" is not a registered stage (pass its module with --module)`);
    }
    return stageClass;
  };
  const networkNodes = Object.keys(config.nodes).filter((n) => registry.get(config.nodes[n].stage)?.kind === 'network');
  const evaluationNode = findEvaluationNode(config, networkNodes, options.networkNode);
  const networkNode = options.networkNode ?? sourceNode(config.nodes[evaluationNode ?? '']?.inputs?.net) ?? (networkNodes.length === 1 ? networkNodes[0] : undefined);
  if (!networkNode || !networkNodes.includes(networkNode)) {
    throw new MicflowError(
      'invalid-argument',
      `${configPath}: ${options.networkNode ? `no network node "${options.networkNode}"` : 'cannot tell which network to load'}; network nodes: ${networkNodes.join(', ') || 'none'} (choose with --net)`,
    );
  }

  const run: RunContext = {
    pipelineName: config.name,
    dataRoot: config.data ?? dirname(runDirectory),
    runDirectory: undefined,
    iterations: config.schedule?.iterations ?? 0,
    seed: config.schedule?.seed ?? 0,
    checkpoints: new CheckpointStore(undefined),
  };
  const instantiate = (name: string, instanceName = name) => {
    const stageClass = classOf(name);
    const parsed = stageClass.paramsSchema.safeParse(config.nodes[name].params ?? {});
    if (!parsed.success) {
      throw new MicflowError('invalid-argument', `${configPath}: nodes.${name}.params do not fit stage ${stageClass.className}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return new stageClass({ nodeName: instanceName, params: parsed.data, random: options.runtime.random.derive('node', name), run });
  };

  const suffix = options.instanceSuffix ?? '';
  // Networks reading other networks (a MultiNet over its members) are built after them, as compilePipeline does.
  const networkStages: NetworkStage<unknown>[] = [];
  const disposeNetworks = () => {
    for (const stage of [...networkStages].reverse()) stage.dispose();
  };
  const built = new Map<string, NetworkState>();
  const buildNetwork = (name: string, path: readonly string[]): NetworkState => {
    const existing = built.get(name);
    if (existing) return existing;
    if (path.includes(name)) throw new MicflowError('invalid-argument', `${configPath}: networks read each other in a cycle: ${[...path, name].join(' → ')}`);
    if (!config.nodes[name]) throw new MicflowError('invalid-argument', `${configPath}: nodes.${path[path.length - 1]}.inputs names "${name}", which is not a node`);
    const stageClass = classOf(name);
    const inputs: Record<string, NetworkState | NetworkState[]> = {};
    for (const [port, spec] of Object.entries(stageClass.inputs)) {
      if (spec.type !== 'network') continue;
      const wiring = config.nodes[name].inputs?.[port];
      const sources = (Array.isArray(wiring) ? wiring : wiring === undefined ? [] : [wiring]).map(sourceNode).filter((s): s is string => s !== undefined);
      const members = sources.map((source) => buildNetwork(source, [...path, name]));
      inputs[port] = spec.list ? members : members[0];
    }
    const stage = instantiate(name, `${name}${suffix}`);
    if (!(stage instanceof NetworkStage)) {
      stage.dispose();
      throw new MicflowError('invalid-argument', `${configPath}: node "${name}" is not a network stage`);
    }
    networkStages.push(stage);
    const state = stage.build(inputs as Record<string, NetworkState>);
    built.set(name, state);
    return state;
  };
  let network: NetworkState;
  let iteration: number;
  try {
    network = buildNetwork(networkNode, []);
    iteration = suffix === ''
      ? await CheckpointStore.load(checkpointPath, [network.network])
      : await loadRenamedCheckpoint(checkpointPath, [...built.keys()], suffix, network);
  } catch (error) {
    disposeNetworks();
    throw error;
  }

  // Walk from the evaluation node's sample input back to the dataset, collecting transforms.
  const transforms: SampleTransformStage<unknown>[] = [];
  const preprocessingNodes: string[] = [];
  let imageColumns: readonly string[] = ['image'];
  let current = sourceNode(config.nodes[evaluationNode ?? '']?.inputs?.samples);
  try {
    for (let guard = 0; current && config.nodes[current] && guard < 100; guard++) {
      const stage = instantiate(current);
      if (stage instanceof SampleTransformStage) {
        transforms.unshift(stage);
        preprocessingNodes.unshift(current);
        current = sourceNode(config.nodes[current].inputs?.samples);
      } else {
        const params = config.nodes[current].params as { imageColumns?: string[] } | undefined;
        if (params?.imageColumns?.length) imageColumns = params.imageColumns;
        stage.dispose();
        break;
      }
    }
  } catch (error) {
    disposeNetworks();
    throw error;
  }
  return {
    runDirectory,
    checkpointPath,
    iteration,
    network,
    preprocessingNodes,
    imageColumns,
    preprocess: (sample) => transforms.reduce((s, t) => t.apply(s, s.random.derive(t.nodeName)), sample),
    dispose: disposeNetworks,
  };
}

/**
 * Loads a checkpoint saved from networks `nodes` (one network, or a MultiNet and its members) into networks built
 * with `suffix` appended to their names: writes a copy of the manifest with every variable name's `<node>/` prefix
 * replaced by `<node><suffix>/` next to a link to the value file in a temporary folder, and loads that.
 */
async function loadRenamedCheckpoint(checkpointPath: string, nodes: readonly string[], suffix: string, network: NetworkState): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'micflow-checkpoint-'));
  try {
    let manifest: { variables?: Array<{ name: string }> };
    try {
      manifest = JSON.parse(await readFile(checkpointPath, 'utf8'));
    } catch (error) {
      throw new MicflowError('invalid-checkpoint', `${checkpointPath}: cannot read checkpoint (${(error as Error).message})`);
    }
    for (const variable of manifest.variables ?? []) {
      const node = nodes.find((n) => variable.name.startsWith(`${n}/`));
      if (node !== undefined) variable.name = `${node}${suffix}/${variable.name.slice(node.length + 1)}`;
    }
    const renamed = join(folder, basename(checkpointPath));
    await writeFile(renamed, JSON.stringify(manifest));
    await symlink(resolve(checkpointPath.replace(/\.json$/, '.bin')), renamed.replace(/\.json$/, '.bin'));
    return await CheckpointStore.load(renamed, [network.network]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function resolveRunAndCheckpoint(runOrCheckpoint: string, tag: string | undefined): { runDirectory: string; checkpointPath: string } {
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

/** The hook that evaluates the network on a sample stream: prefers stages named Evaluate*, then Validate*. */
function findEvaluationNode(config: RunConfig, networkNodes: readonly string[], wanted: string | undefined): string | undefined {
  const candidates = Object.entries(config.nodes).filter(([, node]) => {
    const net = sourceNode(node.inputs?.net);
    return net !== undefined && networkNodes.includes(net) && (!wanted || net === wanted) && sourceNode(node.inputs?.samples) !== undefined;
  });
  const rank = (stage: string) => (stage.startsWith('Evaluate') ? 0 : stage.startsWith('Validate') ? 1 : 2);
  candidates.sort((a, b) => rank(a[1].stage) - rank(b[1].stage));
  return candidates[0]?.[0];
}

/** The node a wiring refers to: 'node' or 'node.port' → 'node'. */
function sourceNode(wiring: unknown): string | undefined {
  return typeof wiring === 'string' ? wiring.split('.')[0] : undefined;
}
