import type { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import { formatGraphProblem, type GraphProblem } from './graph-problem.js';
import { nodeNamePattern, pipelineDefinitionSchema, type ParsedPipelineDefinition } from './pipeline-definition.js';
import type { PortSpec } from './port-spec.js';
import type { RunEnvironment, StageClass } from './stage.js';
import { editDistance, type StageRegistry } from './stage-registry.js';
import { describeParams } from './describe-stage.js';
import type { ResolvedWiring, ValidatedNode, ValidatedPipeline } from './validated-pipeline.js';
import { nodeOutputSpecs } from './node-output-specs.js';
import { placeProbes } from './probe-placement.js';

/**
 * Checks a pipeline definition against the registered stages and collects every problem: malformed definition,
 * unknown stages, params each stage's zod schema rejects, missing and unexpected inputs, references to unknown nodes
 * or ports, port type mismatches, cycles, and nodes whose outputs reach no sink (optimiser or hook).
 * With an `environment`, a node whose stage does not run there (its `runsIn`, or the registry's `elsewhere` for
 * stages not loaded here) is refused, naming the node, the stage and why.
 * Returns the problems; `assertValidPipeline` throws them as one error.
 */
export function validatePipeline(
  raw: unknown,
  registry: StageRegistry,
  options: ValidationOptions = {},
): { pipeline?: ValidatedPipeline; problems: GraphProblem[] } {
  const parsed = pipelineDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    return { problems: zodProblems(parsed.error, '', 'invalid-definition') };
  }
  const definition = parsed.data;
  const problems: GraphProblem[] = [];
  const nodes = new Map<string, ValidatedNode>();

  // 1. Stages (and where they run) and params.
  for (const [name, node] of Object.entries(definition.nodes)) {
    const stageClass = registry.get(node.stage);
    const notHere = options.environment ? environmentProblem(node.stage, stageClass, registry, options.environment) : undefined;
    if (notHere) {
      problems.push({ kind: 'wrong-environment', node: name, key: `nodes.${name}.stage`, message: `node "${name}" uses stage ${node.stage}, which ${notHere}` });
      continue;
    }
    if (!stageClass) {
      const hint = registry.closest(node.stage);
      problems.push({
        kind: 'unknown-stage',
        node: name,
        key: `nodes.${name}.stage`,
        message: `unknown stage "${node.stage}"${hint.length ? `; did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?` : ''} (npm run pipeline -- --list shows all)`,
      });
      continue;
    }
    const params = stageClass.paramsSchema.safeParse(node.params);
    if (!params.success) {
      problems.push(...zodProblems(params.error, `nodes.${name}.params`, 'invalid-params', name, stageClass));
    }
    nodes.set(name, { name, stageClass, params: params.success ? params.data : undefined, inputs: {} });
  }

  // 2. Wiring.
  for (const [name, node] of Object.entries(definition.nodes)) {
    const validated = nodes.get(name);
    if (!validated) continue;
    const specs = validated.stageClass.inputs;
    const resolvedInputs: Record<string, ResolvedWiring[]> = {};
    for (const [port, wiring] of Object.entries(node.inputs)) {
      const spec = specs[port];
      const key = `nodes.${name}.inputs.${port}`;
      if (!spec) {
        const known = Object.keys(specs);
        problems.push({
          kind: 'unexpected-input',
          node: name,
          key,
          message: `stage ${validated.stageClass.className} has no input "${port}"; its inputs are ${known.length ? known.join(', ') : '(none)'}`,
        });
        continue;
      }
      const items = Array.isArray(wiring) ? wiring : [wiring];
      if (Array.isArray(wiring) !== Boolean(spec.list)) {
        problems.push({
          kind: 'list-mismatch',
          node: name,
          key,
          message: spec.list
            ? `input "${port}" takes a list of references, e.g. ["a", "b"]`
            : `input "${port}" takes one reference, got a list of ${items.length}`,
        });
        continue;
      }
      const resolved: ResolvedWiring[] = [];
      items.forEach((item, index) => {
        const itemKey = Array.isArray(wiring) ? `${key}.${index}` : key;
        const source = resolveReference(item, spec, itemKey, name, definition, nodes, problems);
        if (source) resolved.push(source);
      });
      resolvedInputs[port] = resolved;
    }
    for (const [port, spec] of Object.entries(specs)) {
      if (!spec.optional && !(port in node.inputs)) {
        problems.push({
          kind: 'missing-input',
          node: name,
          key: `nodes.${name}.inputs.${port}`,
          message: `required input "${port}" (${spec.type}${spec.list ? ' list' : ''}: ${spec.description}) is not wired`,
        });
      }
    }
    nodes.set(name, { ...validated, inputs: resolvedInputs });
    if (validated.stageClass.checkWiring && validated.params !== undefined) {
      const lengths = Object.fromEntries(
        Object.entries(node.inputs).map(([port, wiring]) => [port, Array.isArray(wiring) ? wiring.length : 1]),
      );
      const message = validated.stageClass.checkWiring(validated.params, lengths);
      if (message) problems.push({ kind: 'list-mismatch', node: name, key: `nodes.${name}.inputs`, message });
    }
  }

  // 3. Cycles (network references are explicit state and do not count) and an instantiation order.
  const dataEdges = edgesOf(nodes, false);
  for (const cycle of findCycles([...nodes.keys()], dataEdges)) {
    problems.push({
      kind: 'cycle',
      node: cycle[0],
      key: `nodes.${cycle[0]}.inputs`,
      message: `cycle ${[...cycle, cycle[0]].join(' -> ')}; only network references (state, e.g. an EMA teacher) may close a loop`,
    });
  }
  const allEdges = edgesOf(nodes, true);
  const order = topologicalOrder([...nodes.keys()], allEdges);
  if (order === undefined && problems.every((p) => p.kind !== 'cycle')) {
    problems.push({
      kind: 'cycle',
      key: 'nodes',
      message: 'network references form a loop (a network cannot be built from itself)',
    });
  }

  // 4. Every node must reach a sink, or it would never run.
  if (problems.length === 0) {
    const reaches = new Set<string>();
    const consumersOf = new Map<string, string[]>();
    for (const [from, to] of allEdges) consumersOf.set(from, [...(consumersOf.get(from) ?? []), to]);
    const visit = (name: string): boolean => {
      if (reaches.has(name)) return true;
      const kind = nodes.get(name)!.stageClass.kind;
      if (kind === 'optimiser' || kind === 'hook' || kind === 'probe') {
        reaches.add(name);
        return true;
      }
      const ok = (consumersOf.get(name) ?? []).some(visit);
      if (ok) reaches.add(name);
      return ok;
    };
    for (const name of nodes.keys()) {
      if (!visit(name)) {
        problems.push({
          kind: 'unreachable-node',
          node: name,
          key: `nodes.${name}`,
          message: 'its outputs reach no optimiser, hook or probe, so it would never run; wire it or remove it',
        });
      }
    }
  }

  // 5. A probe runs in the tick of an optimiser whose loss depends on everything it reads.
  if (problems.length === 0 && order) {
    for (const [name, optimiser] of placeProbes(nodes, order)) {
      if (optimiser !== undefined) continue;
      problems.push({
        kind: 'unreachable-node',
        node: name,
        key: `nodes.${name}.inputs`,
        message: "a probe must read only nodes that one optimiser's loss depends on (it runs in that optimiser's tick); wire it to one training branch",
      });
    }
  }

  if (problems.length) return { problems };
  return { pipeline: { definition, nodes, order: order ?? [] }, problems };
}

export interface ValidationOptions {
  /** Where the pipeline is to run; stages that cannot run there are refused. Absent: no check (Node's CLI). */
  readonly environment?: RunEnvironment;
}

/** Why a stage cannot run in `environment` ("runs in Node only: …"), or undefined when it can (or is unknown). */
function environmentProblem(name: string, stageClass: StageClass | undefined, registry: StageRegistry, environment: RunEnvironment): string | undefined {
  const declared = stageClass ? (stageClass.runsIn ? { runsIn: stageClass.runsIn, reason: stageClass.runsInReason } : undefined) : registry.elsewhereOf(name);
  if (!declared || declared.runsIn.includes(environment)) return undefined;
  const where = declared.runsIn.map((e) => (e === 'node' ? 'Node' : 'the browser')).join(' and ');
  return `runs in ${where} only${declared.reason ? ` (${declared.reason})` : ''}; this pipeline is validated for ${environment === 'node' ? 'Node' : 'the browser'}`;
}

/** Validates and throws one MicflowError listing every problem. */
export function assertValidPipeline(raw: unknown, registry: StageRegistry, source: string, options: ValidationOptions = {}): ValidatedPipeline {
  const { pipeline, problems } = validatePipeline(raw, registry, options);
  if (!pipeline) {
    throw new MicflowError(
      'invalid-pipeline',
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the pipeline graph`,
      problems.map(formatGraphProblem),
    );
  }
  return pipeline;
}

function resolveReference(
  item: string | number,
  spec: PortSpec,
  key: string,
  consumer: string,
  definition: ParsedPipelineDefinition,
  nodes: Map<string, ValidatedNode>,
  problems: GraphProblem[],
): ResolvedWiring | undefined {
  if (typeof item === 'number') {
    if (spec.type !== 'scalar') {
      problems.push({ kind: 'port-type-mismatch', node: consumer, key, message: `a constant (${item}) can only stand in for a scalar input; this input takes ${spec.type}` });
      return undefined;
    }
    return { kind: 'constant', value: item };
  }
  const [nodeName, portName, ...rest] = item.split('.');
  if (rest.length || !nodeNamePattern.test(nodeName)) {
    problems.push({ kind: 'unknown-node', node: consumer, key, message: `"${item}" is not a reference; write "node" or "node.port"` });
    return undefined;
  }
  if (!(nodeName in definition.nodes)) {
    problems.push({ kind: 'unknown-node', node: consumer, key, message: `no node named "${nodeName}" in this pipeline` });
    return undefined;
  }
  const source = nodes.get(nodeName);
  if (!source) return undefined; // its unknown stage is reported already
  const outputs = Object.entries(nodeOutputSpecs(source.stageClass, source.params));
  const output = portName === undefined ? outputs[0] : outputs.find(([name]) => name === portName);
  if (!output) {
    problems.push({
      kind: 'unknown-port',
      node: consumer,
      key,
      message: `node "${nodeName}" (${source.stageClass.className}) has no output "${portName}"; its outputs are ${outputs.map(([n]) => n).join(', ') || '(none)'}`,
    });
    return undefined;
  }
  const [outputName, outputSpec] = output;
  if (outputSpec.type !== spec.type) {
    problems.push({
      kind: 'port-type-mismatch',
      node: consumer,
      key,
      message: `expects ${spec.type}, but "${nodeName}.${outputName}" gives ${outputSpec.type}`,
    });
    return undefined;
  }
  return { kind: 'port', node: nodeName, port: outputName };
}

function edgesOf(nodes: Map<string, ValidatedNode>, includeNetworkReferences: boolean): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  for (const node of nodes.values()) {
    for (const [port, sources] of Object.entries(node.inputs)) {
      const type = node.stageClass.inputs[port]?.type;
      if (type === 'network' && !includeNetworkReferences) continue;
      for (const source of sources) if (source.kind === 'port') edges.push([source.node, node.name]);
    }
  }
  return edges;
}

/** Kahn's algorithm; undefined when there is a cycle. Ties keep declaration order. */
export function topologicalOrder(names: readonly string[], edges: ReadonlyArray<[string, string]>): string[] | undefined {
  const indegree = new Map(names.map((n) => [n, 0]));
  for (const [, to] of edges) indegree.set(to, (indegree.get(to) ?? 0) + 1);
  const ready = names.filter((n) => indegree.get(n) === 0);
  const order: string[] = [];
  while (ready.length) {
    const name = ready.shift()!;
    order.push(name);
    for (const [from, to] of edges) {
      if (from !== name) continue;
      const d = indegree.get(to)! - 1;
      indegree.set(to, d);
      if (d === 0) ready.push(to);
    }
  }
  return order.length === names.length ? order : undefined;
}

/** Elementary cycles found by depth-first search, each reported once (rotated to start at its first-declared node). */
function findCycles(names: readonly string[], edges: ReadonlyArray<[string, string]>): string[][] {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'open');
    stack.push(name);
    for (const to of next.get(name) ?? []) {
      if (state.get(to) === 'open') {
        const cycle = stack.slice(stack.indexOf(to));
        const start = cycle.reduce((best, n) => (names.indexOf(n) < names.indexOf(best) ? n : best));
        const rotated = [...cycle.slice(cycle.indexOf(start)), ...cycle.slice(0, cycle.indexOf(start))];
        const id = rotated.join('>');
        if (!seen.has(id)) {
          seen.add(id);
          cycles.push(rotated);
        }
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of names) if (!state.has(name)) visit(name);
  return cycles;
}

function zodProblems(
  error: z.ZodError,
  prefix: string,
  kind: 'invalid-definition' | 'invalid-params',
  node?: string,
  stageClass?: StageClass,
): GraphProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const extra = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys ?? [] : [];
    const key = [prefix, ...path].filter(Boolean).join('.') || '(pipeline)';
    let message = extra.length ? `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}` : issue.message;
    if (extra.length && stageClass) {
      // Name the keys the stage takes at that level, with the closest to each unknown one first.
      const prefixOfLevel = path.length ? `${path.join('.')}.` : '';
      const known = describeParams(stageClass)
        .map((p) => p.key)
        .filter((k) => k.startsWith(prefixOfLevel) && !k.slice(prefixOfLevel.length).includes('.'))
        .map((k) => k.slice(prefixOfLevel.length));
      const near = (k: string, candidate: string) => {
        const [a, b] = [k.toLowerCase(), candidate.toLowerCase()];
        return editDistance(a, b) <= Math.max(2, Math.floor(a.length / 3)) || (b.length >= 2 && (a.startsWith(b) || b.startsWith(a)));
      };
      const closest = extra.flatMap((k) => known.filter((candidate) => near(k, candidate)));
      const hint = closest.length ? `did you mean ${[...new Set(closest)].map((k) => `"${k}"`).join(' or ')}? ` : '';
      message += `; ${hint}${stageClass.className}${path.length ? ` ${path.join('.')}` : ''} takes ${known.length ? known.join(', ') : 'no params'} (npm run pipeline -- --describe ${stageClass.className})`;
    }
    return { kind, node, key, message };
  });
}
