import { MicflowError } from '../errors/micflow-error.js';
import type { SeededRandom } from '../runtime/seeded-random.js';
import { resolveNodeInputs, type PortValues } from './resolve-node-inputs.js';
import type { RunContext } from './run-context.js';
import type { SampleStream } from './sample.js';
import { FeederStage, NetworkStage, SampleStreamStage, type BatchSource, type NetworkState, type Stage } from './stage.js';
import type { ValidatedPipeline } from './validated-pipeline.js';

/** The outputs of a node that is not built but given: sample streams or a network, by output port. */
export type ProvidedOutputs = Readonly<Record<string, SampleStream | NetworkState>>;

export interface CompileNodesOptions {
  /** The run the stages belong to. */
  readonly run: RunContext;
  /** The run's root randomness; each node gets `random.derive('node', name)`. */
  readonly random: SeededRandom;
  /**
   * Nodes that are not built: their outputs are given instead (inference gives the test branch its own cases in place
   * of the dataset node). The walk upstream stops at them.
   */
  readonly provided?: Readonly<Record<string, ProvidedOutputs>>;
  /**
   * Appended to the node name that network stages see, which prefixes their variables' names, so that several
   * compilations of one pipeline can be alive at once (an ensemble of runs: tfjs refuses two variables of one name).
   * Randomness is still derived from the node's own name; other stages keep their names.
   */
  readonly networkNameSuffix?: string;
}

/** Stage instances of a subgraph, with what they built: sample streams, networks and open feeders. */
export interface CompiledNodes {
  readonly validated: ValidatedPipeline;
  /** The nodes built, in build order (every node after the nodes it reads). */
  readonly names: readonly string[];
  readonly instances: ReadonlyMap<string, Stage>;
  /** Sample streams keyed `node.port` (provided ones included). */
  readonly streams: ReadonlyMap<string, SampleStream>;
  /** Networks keyed by their node (provided ones included). */
  readonly networks: ReadonlyMap<string, NetworkState>;
  readonly feeders: ReadonlyMap<string, BatchSource>;
  /** Closes the feeders and disposes the instances (networks' variables included); idempotent. */
  dispose(): void;
}

/**
 * The one graph compiler: instantiates the stages of `names` and of every node they read (through any input,
 * network references included), in the validated order, resolving each stage class from the validated pipeline;
 * builds sample streams and networks and opens feeders as it goes. Pass `'all'` for a whole run; a subset for a
 * tool that needs part of a run (inference: the network and the test branch). On failure everything built so far is
 * disposed and the error rethrown.
 */
export async function compileNodes(validated: ValidatedPipeline, names: readonly string[] | 'all', options: CompileNodesOptions): Promise<CompiledNodes> {
  const provided = options.provided ?? {};
  const wanted = names === 'all' ? new Set(validated.order) : upstreamClosure(validated, names, provided);
  const instances = new Map<string, Stage>();
  const streams = new Map<string, SampleStream>();
  const networks = new Map<string, NetworkState>();
  const feeders = new Map<string, BatchSource>();
  for (const [node, outputs] of Object.entries(provided)) {
    for (const [port, value] of Object.entries(outputs)) {
      if ('read' in value) streams.set(`${node}.${port}`, value);
      else networks.set(node, value);
    }
  }
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    for (const feeder of feeders.values()) feeder.close();
    for (const instance of instances.values()) instance.dispose();
  };
  const built: string[] = [];
  const values: PortValues = { streams, networks };
  try {
    for (const name of validated.order) {
      if (!wanted.has(name) || name in provided) continue;
      const node = validated.nodes.get(name)!;
      const instance = new node.stageClass({
        nodeName: node.stageClass.kind === 'network' ? `${name}${options.networkNameSuffix ?? ''}` : name,
        params: node.params,
        random: options.random.derive('node', name),
        run: options.run,
      });
      instances.set(name, instance);
      built.push(name);
      if (instance instanceof SampleStreamStage) {
        const outputs = await instance.streams(resolveNodeInputs(node, values));
        for (const [port, stream] of Object.entries(outputs)) streams.set(`${name}.${port}`, stream);
      } else if (instance instanceof NetworkStage) {
        networks.set(name, instance.build(resolveNodeInputs(node, values)));
      } else if (instance instanceof FeederStage) {
        feeders.set(name, instance.open(resolveNodeInputs(node, values)));
      }
    }
  } catch (error) {
    dispose();
    throw error;
  }
  return { validated, names: built, instances, streams, networks, feeders, dispose };
}

/** `names` and every node they read, directly or not, stopping at provided nodes. */
function upstreamClosure(validated: ValidatedPipeline, names: readonly string[], provided: Readonly<Record<string, unknown>>): Set<string> {
  const closure = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const name = stack.pop()!;
    if (closure.has(name)) continue;
    const node = validated.nodes.get(name);
    if (!node) throw new MicflowError('invalid-argument', `no node "${name}" in pipeline "${validated.definition.name}"`);
    closure.add(name);
    if (name in provided) continue;
    for (const sources of Object.values(node.inputs)) {
      for (const source of sources) if (source.kind === 'port') stack.push(source.node);
    }
  }
  return closure;
}
