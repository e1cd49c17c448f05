import * as tf from '@tensorflow/tfjs-core';
import type { Container } from 'inversify';
import { concat, defer, from, Observable, of, range, concatMap, finalize } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import { lossDependencies, placeProbes } from './probe-placement.js';
import type { IterationEvent, RunEvent } from '../events/run-event.js';
import type { TensorRuntime } from '../runtime/tensor-runtime.js';
import type { RunContext } from './run-context.js';
import type { SampleStream } from './sample.js';
import {
  FeederStage,
  HookStage,
  NetworkStage,
  OptimiserStage,
  SampleStreamStage,
  TensorStage,
  type BatchSource,
  type HookMoment,
  type NetworkState,
  type Stage,
} from './stage.js';
import type { ValidatedNode, ValidatedPipeline } from './validated-pipeline.js';
import { nodeOutputSpecs } from './node-output-specs.js';

/** What one optimiser node differentiates every tick. */
interface OptimiserPlan {
  readonly node: string;
  readonly optimiser: OptimiserStage;
  /** Tensor nodes its loss depends on, in evaluation order. */
  readonly tensorNodes: readonly string[];
  /** Feeders whose batches those nodes read. */
  readonly feeders: readonly string[];
  readonly variables: readonly tf.Variable[];
}

export interface CompiledPipeline {
  readonly runContext: RunContext;
  /** Network states by node name (for tests and tools). */
  readonly networks: ReadonlyMap<string, NetworkState>;
  /** The whole run as a cold stream of events: subscribe to start it, unsubscribe to stop it. */
  run(startedInfo: { backendReason: string }): Observable<RunEvent>;
  /** Runs one training tick (exposed for tests and benchmarks). */
  tick(iteration: number): Promise<IterationEvent>;
  /** One batch per feeder, as the next tick would take it (the caller disposes the tensors). */
  nextBatches(): Promise<Map<string, Record<string, tf.Tensor>>>;
  /** The loss an optimiser node differentiates, on given batches (for gradient checks). */
  lossOf(optimiser: string, batches: ReadonlyMap<string, Record<string, tf.Tensor>>, iteration: number): tf.Scalar;
  /** The variables an optimiser node trains. */
  variablesOf(optimiser: string): readonly tf.Variable[];
  dispose(): void;
}

/**
 * Turns a validated pipeline into running objects: creates a stage instance per node (resolved by name from the
 * container's registry), builds sample streams and networks in dependency order, opens the feeders, and plans, for
 * each optimiser, which tensor nodes run under its gradient tape.
 */
export async function compilePipeline(
  validated: ValidatedPipeline,
  container: Container,
  runtime: TensorRuntime,
  runContext: RunContext,
): Promise<CompiledPipeline> {
  const instances = new Map<string, Stage>();
  const streams = new Map<string, SampleStream>();
  const networks = new Map<string, NetworkState>();
  const feeders = new Map<string, BatchSource>();
  const compiled = { instances, feeders };
  try {
    for (const name of validated.order) {
      const node = validated.nodes.get(name)!;
      const instance = new node.stageClass({
        nodeName: name,
        params: node.params,
        random: runtime.random.derive('node', name),
        run: runContext,
      });
      instances.set(name, instance);
      if (instance instanceof SampleStreamStage) {
        const outputs = await instance.streams(resolveInputs(node, { streams, networks }));
        for (const [port, stream] of Object.entries(outputs)) streams.set(`${name}.${port}`, stream);
      } else if (instance instanceof NetworkStage) {
        networks.set(name, instance.build(resolveInputs(node, { streams, networks })));
      } else if (instance instanceof FeederStage) {
        feeders.set(name, instance.open(resolveInputs(node, { streams, networks })));
      }
    }
  } catch (error) {
    disposeAll(compiled);
    throw error;
  }

  const plans = planOptimisers(validated, instances, networks);
  const hooks = validated.order
    .filter((name) => instances.get(name) instanceof HookStage)
    .sort((a, b) => declarationIndex(validated, a) - declarationIndex(validated, b));
  const iterations = runContext.iterations;

  /** Pulls one batch from each feeder the optimisers read. The caller disposes the tensors. */
  async function nextBatches(): Promise<Map<string, Record<string, tf.Tensor>>> {
    const batches = new Map<string, Record<string, tf.Tensor>>();
    try {
      for (const plan of plans) {
        for (const feeder of plan.feeders) {
          if (!batches.has(feeder)) batches.set(feeder, await feeders.get(feeder)!.next());
        }
      }
    } catch (error) {
      for (const tensors of batches.values()) tf.dispose(Object.values(tensors));
      throw error;
    }
    return batches;
  }

  /**
   * Evaluates one optimiser's tensor subgraph on given batches and returns its loss. Scalar outputs of the nodes
   * are pushed to `reported` (kept clones the caller disposes). Deterministic for a given iteration: every node's
   * randomness is derived from its name and the iteration.
   */
  function lossOf(
    plan: OptimiserPlan,
    batches: ReadonlyMap<string, Record<string, tf.Tensor>>,
    iteration: number,
    reported?: Array<[string, tf.Tensor]>,
  ): tf.Scalar {
    const values = new Map<string, tf.Tensor>();
    for (const [feeder, tensors] of batches) {
      for (const [port, tensor] of Object.entries(tensors)) values.set(`${feeder}.${port}`, tensor);
    }
    for (const name of plan.tensorNodes) {
      const node = validated.nodes.get(name)!;
      const stage = instances.get(name) as TensorStage;
      const outputs = stage.compute(resolveInputs(node, { streams, networks, tensors: values }), {
        iteration,
        iterations,
        random: stage.context.random.derive('tick', iteration),
      });
      const outputSpecs = nodeOutputSpecs(node.stageClass, node.params);
      for (const [port, spec] of Object.entries(outputSpecs)) {
        const tensor = outputs[port];
        if (!tensor) throw new MicflowError('stage-failed', `node "${name}" (${node.stageClass.className}) produced no output "${port}"`);
        values.set(`${name}.${port}`, tensor);
        if (spec.type === 'scalar' && reported) {
          const key = port === Object.keys(outputSpecs)[0] ? name : `${name}.${port}`;
          reported.push([key, tf.keep(tensor.clone())]);
        }
      }
    }
    const loss = values.get(lossSourceKey(validated.nodes.get(plan.node)!));
    if (!loss || loss.rank !== 0) {
      throw new MicflowError('stage-failed', `optimiser "${plan.node}": its loss input is not a scalar (shape ${loss?.shape})`);
    }
    return loss as tf.Scalar;
  }

  async function tick(iteration: number): Promise<IterationEvent> {
    const started = performance.now();
    const terms: Record<string, number> = {};
    const learningRates: Record<string, number> = {};
    const batches = await nextBatches();
    const dataSeconds = (performance.now() - started) / 1000;
    try {
      for (const plan of plans) {
        const reported: Array<[string, tf.Tensor]> = [];
        try {
          const { value, grads } = tf.variableGrads(() => lossOf(plan, batches, iteration, reported), plan.variables as tf.Variable[]);
          try {
            plan.optimiser.apply(grads, plan.variables, iteration);
            learningRates[plan.node] = plan.optimiser.learningRate(iteration);
          } finally {
            tf.dispose(grads);
            value.dispose();
          }
          for (const [key, tensor] of reported) terms[key] = (await tensor.data())[0];
        } finally {
          tf.dispose(reported.map(([, t]) => t));
        }
        for (const [key, v] of Object.entries(terms)) {
          if (!Number.isFinite(v)) throw new MicflowError('stage-failed', `iteration ${iteration}: "${key}" is ${v}; training diverged`);
        }
      }
      for (const instance of instances.values()) if (instance instanceof NetworkStage) instance.afterStep({ iteration });
    } finally {
      for (const tensors of batches.values()) tf.dispose(Object.values(tensors));
    }
    return {
      type: 'iteration',
      iteration,
      iterations,
      terms,
      learningRates,
      epochs: Object.fromEntries([...batches.keys()].map((name) => [name, feeders.get(name)!.epoch()])),
      dataSeconds,
      seconds: (performance.now() - started) / 1000,
      liveTensors: tf.memory().numTensors,
    };
  }

  function hooksAt(moment: HookMoment): Observable<RunEvent> {
    return from(hooks).pipe(
      concatMap((name) => {
        const hook = instances.get(name) as HookStage;
        if (!hook.runsAt(moment)) return of();
        const node = validated.nodes.get(name)!;
        return defer(() => hook.run(resolveInputs(node, { streams, networks }), moment));
      }),
    );
  }

  function planNamed(optimiser: string): OptimiserPlan {
    const plan = plans.find((p) => p.node === optimiser);
    if (!plan) throw new MicflowError('invalid-argument', `no optimiser node "${optimiser}"`);
    return plan;
  }

  let disposed = false;
  function dispose() {
    if (disposed) return;
    disposed = true;
    disposeAll(compiled);
  }

  return {
    runContext,
    networks,
    tick,
    nextBatches,
    lossOf: (optimiser, batches, iteration) => lossOf(planNamed(optimiser), batches, iteration),
    variablesOf: (optimiser) => planNamed(optimiser).variables,
    dispose,
    run({ backendReason }) {
      const startedAt = performance.now();
      return concat(
        defer(() =>
          of<RunEvent>({
            type: 'run-started',
            pipeline: runContext.pipelineName,
            backend: runtime.backendName,
            backendReason,
            iterations,
            seed: runContext.seed,
            runDirectory: runContext.runDirectory,
            time: new Date().toISOString(),
          }),
        ),
        range(1, iterations).pipe(
          concatMap((iteration) =>
            concat(
              defer(() => tick(iteration)),
              hooksAt({ iteration, iterations, final: false }),
            ),
          ),
        ),
        defer(() => hooksAt({ iteration: iterations, iterations, final: true })),
        defer(() => of<RunEvent>({ type: 'run-finished', iterations, seconds: (performance.now() - startedAt) / 1000 })),
      ).pipe(finalize(dispose));
    },
  };
}

function declarationIndex(validated: ValidatedPipeline, name: string): number {
  return Object.keys(validated.definition.nodes).indexOf(name);
}

function lossSourceKey(node: ValidatedNode): string {
  const source = node.inputs.loss?.[0];
  if (!source || source.kind !== 'port') throw new MicflowError('stage-failed', `optimiser "${node.name}" has no loss input`);
  return `${source.node}.${source.port}`;
}

/** For each optimiser: the tensor nodes and feeders its loss depends on (not through network references), and the probes it computes. */
function planOptimisers(
  validated: ValidatedPipeline,
  instances: ReadonlyMap<string, Stage>,
  networks: ReadonlyMap<string, NetworkState>,
): OptimiserPlan[] {
  const plans: OptimiserPlan[] = [];
  const probes = placeProbes(validated.nodes, validated.order);
  for (const name of validated.order) {
    const optimiser = instances.get(name);
    if (!(optimiser instanceof OptimiserStage)) continue;
    const node = validated.nodes.get(name)!;
    const needed = lossDependencies(validated.nodes, name);
    for (const [probe, placed] of probes) if (placed === name) needed.add(probe);
    const tensorNodes = validated.order.filter((n) => needed.has(n) && instances.get(n) instanceof TensorStage);
    const feederNodes = validated.order.filter((n) => needed.has(n) && instances.get(n) instanceof FeederStage);
    const variables: tf.Variable[] = [];
    for (const source of node.inputs.nets ?? []) {
      if (source.kind === 'port') variables.push(...networks.get(source.node)!.network.trainableVariables);
    }
    plans.push({ node: name, optimiser, tensorNodes, feeders: feederNodes, variables });
  }
  return plans;
}

/** What the sources of a node's inputs resolve to at one moment of the run. */
interface PortValues {
  readonly streams: ReadonlyMap<string, SampleStream>;
  readonly networks: ReadonlyMap<string, NetworkState>;
  /** Tensors of the current tick, keyed `node.port`; absent outside a tick. */
  readonly tensors?: ReadonlyMap<string, tf.Tensor>;
}

/** A node's inputs, port by port: one value for a plain port, an array for a list port. */
function resolveInputs(node: ValidatedNode, values: PortValues): Record<string, any> {
  const out: Record<string, unknown> = {};
  for (const [port, sources] of Object.entries(node.inputs)) {
    const spec = node.stageClass.inputs[port];
    const items = sources.map((source) => {
      if (source.kind === 'constant') return tf.scalar(source.value); // validation allows constants on scalar ports only
      const key = `${source.node}.${source.port}`;
      if (spec.type === 'network') return values.networks.get(source.node);
      if (spec.type === 'samples') return values.streams.get(key);
      const tensor = values.tensors?.get(key);
      if (!tensor) {
        throw new MicflowError('stage-failed', `node "${node.name}" input "${port}": "${key}" has no value this tick (an unlabelled batch has no label)`);
      }
      return tensor;
    });
    out[port] = spec.list ? items : items[0];
  }
  return out;
}

function disposeAll(compiled: { instances: Map<string, Stage>; feeders: Map<string, BatchSource> }): void {
  for (const feeder of compiled.feeders.values()) feeder.close();
  for (const instance of compiled.instances.values()) instance.dispose();
}
