import { basename } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import type { FirstCaseShape } from '../graph/stage.js';
import type { ValidatedNode, ValidatedPipeline } from '../graph/validated-pipeline.js';

/** First cases already read, by dataset stage, params and data root (an experiment checks many jobs on the same lists). */
export type FirstCaseCache = Map<string, Promise<FirstCaseShape | undefined>>;

/**
 * Whether every evaluating hook (the test evaluation, validation) will be able to predict its cases with its network,
 * checked before anything trains: the network's spatial dimensionality (its stage's `spatialDims`, or for EmaCopy and
 * MultiNet that of the networks they read) against the first case of the dataset the hook's samples come from (read
 * from the image header where the format has one; a transform with `outputSpatialDims`, RandomSlice, decides instead).
 * A 2D network meets volumes only through EvaluateSegmentation's `sliceWise: true`; a 3D network needs volumes and no
 * `sliceWise`. Returns one line per hook that would fail, naming the network, the list, the first case and the fix.
 * What cannot be told (a network or dataset stage that declares nothing, a list that cannot be read: the run reports
 * that itself before training) is no problem here.
 */
export async function checkEvaluationDimensions(validated: ValidatedPipeline, dataRoot: string, cache: FirstCaseCache = new Map()): Promise<string[]> {
  const problems: string[] = [];
  for (const name of validated.order) {
    const node = validated.nodes.get(name)!;
    const evaluates = node.stageClass.evaluates;
    if (!evaluates) continue;
    const net = portSource(node, 'net');
    const samples = portSource(node, 'samples');
    if (!net || !samples) continue;
    const networkDims = dimsOfNetwork(validated, net, new Set());
    if (networkDims === undefined) continue;
    const cases = await dimsOfSamples(validated, samples, dataRoot, cache);
    if (!cases) continue;
    const params = (node.params ?? {}) as { sliceWise?: unknown };
    const sliceWise = params.sliceWise === true;
    const what = `${evaluates} cases`;
    const where = cases.first
      ? `${what} in ${cases.first.list} are ${cases.dims}D (first: ${basename(cases.first.file)}, ${cases.first.shape.join('×')})`
      : `${what} are ${cases.dims}D (node '${cases.node}' makes them so)`;
    const hook = `${node.stageClass.className} node '${name}'`;
    if (networkDims === 2 && cases.dims === 3 && !sliceWise) {
      const fix =
        'sliceWise' in params
          ? `set sliceWise: true on ${hook}`
          : `${hook} cannot predict volumes slice by slice: score them with EvaluateSegmentation and sliceWise: true, or give it a list of 2D slices`;
      problems.push(`network '${net}' is 2D but ${where}; ${fix}`);
    } else if (networkDims === 3 && cases.dims === 2) {
      problems.push(`network '${net}' is 3D but ${where}; give ${hook} a list of volumes, or use a 2D network`);
    } else if (networkDims === 3 && sliceWise) {
      problems.push(`network '${net}' is 3D but ${hook} has sliceWise: true, which predicts 2D slices; remove sliceWise`);
    }
  }
  return problems;
}

/**
 * {@link checkEvaluationDimensions}, failing with one line per problem, each prefixed with `where` (the pipeline file,
 * or the experiment spec and method), before anything is written.
 *
 * @throws MicflowError('invalid-pipeline')
 */
export async function assertEvaluationDimensions(validated: ValidatedPipeline, dataRoot: string, where: string, cache?: FirstCaseCache): Promise<void> {
  const problems = await checkEvaluationDimensions(validated, dataRoot, cache);
  if (problems.length) throw new MicflowError('invalid-pipeline', problems.map((p) => `${where}: ${p}`).join('\n'));
}

/** The node wired to a hook's input port (its only source), if any. */
function portSource(node: ValidatedNode, port: string): string | undefined {
  const sources = node.inputs[port];
  return sources?.length === 1 && sources[0].kind === 'port' ? sources[0].node : undefined;
}

/** 2 or 3 for a network node whose stage says so, or whose network inputs all agree; undefined when it cannot be told. */
function dimsOfNetwork(validated: ValidatedPipeline, name: string, seen: Set<string>): 2 | 3 | undefined {
  const node = validated.nodes.get(name);
  if (!node || seen.has(name)) return undefined;
  seen.add(name);
  if (node.stageClass.spatialDims) return node.stageClass.spatialDims;
  const members = Object.entries(node.inputs)
    .filter(([port]) => node.stageClass.inputs[port]?.type === 'network')
    .flatMap(([, sources]) => sources.flatMap((s) => (s.kind === 'port' ? [s.node] : [])));
  const dims = new Set(members.map((m) => dimsOfNetwork(validated, m, seen)));
  return dims.size === 1 ? [...dims][0] : undefined;
}

/**
 * The dimensionality of the cases a sample stream carries: walking up single-source sample transforms to the first
 * node that fixes it (a transform's `outputSpatialDims`) or reads it (a dataset's `firstCaseShape`).
 */
async function dimsOfSamples(
  validated: ValidatedPipeline,
  start: string,
  dataRoot: string,
  cache: FirstCaseCache,
): Promise<{ dims: number; node: string; first?: FirstCaseShape } | undefined> {
  const seen = new Set<string>();
  let name: string | undefined = start;
  while (name && !seen.has(name)) {
    seen.add(name);
    const node = validated.nodes.get(name);
    if (!node) return undefined;
    const { stageClass } = node;
    if (stageClass.outputSpatialDims) return { dims: stageClass.outputSpatialDims, node: name };
    if (stageClass.firstCaseShape) {
      const key = `${stageClass.className} ${JSON.stringify(node.params)} ${dataRoot}`;
      if (!cache.has(key)) cache.set(key, stageClass.firstCaseShape.call(stageClass, node.params, dataRoot).catch(() => undefined));
      const first = await cache.get(key)!;
      return first ? { dims: first.shape.length, node: name, first } : undefined;
    }
    const upstream = Object.entries(node.inputs)
      .filter(([port]) => stageClass.inputs[port]?.type === 'samples')
      .flatMap(([, sources]) => sources);
    name = upstream.length === 1 && upstream[0].kind === 'port' ? upstream[0].node : undefined;
  }
  return undefined;
}
