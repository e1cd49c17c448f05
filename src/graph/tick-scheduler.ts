import * as tf from '@tensorflow/tfjs-core';
import { concat, concatMap, defer, finalize, from, Observable, of, range } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import type { IterationEvent, RunEvent } from '../events/run-event.js';
import type { CompiledNodes } from './compile-nodes.js';
import { nodeOutputSpecs } from './node-output-specs.js';
import { lossDependencies, placeProbes } from './probe-placement.js';
import { resolveNodeInputs } from './resolve-node-inputs.js';
import type { RunContext } from './run-context.js';
import { FeederStage, HookStage, NetworkStage, OptimiserStage, TensorStage, type HookMoment } from './stage.js';
import type { ValidatedNode } from './validated-pipeline.js';

/** What one optimiser node differentiates every tick. */
interface OptimiserPlan {
  readonly node: string;
  readonly optimiser: OptimiserStage;
  /** Tensor nodes its loss depends on (and the probes placed with it), in evaluation order. */
  readonly tensorNodes: readonly string[];
  /** Feeders whose batches those nodes read. */
  readonly feeders: readonly string[];
  readonly variables: readonly tf.Variable[];
}

/** How a compiled graph runs: ticks, hooks between them, and the whole run as one event stream. */
export interface TickScheduler {
  /** The whole run as a cold stream of events: subscribe to start it, unsubscribe to stop it. Disposes the graph at the end. */
  run(startedInfo: { backend: string; backendReason: string }): Observable<RunEvent>;
  /** Runs one training tick (exposed for tests and benchmarks). */
  tick(iteration: number): Promise<IterationEvent>;
  /** One batch per feeder, as the next tick would take it (the caller disposes the tensors). */
  nextBatches(): Promise<Map<string, Record<string, tf.Tensor>>>;
  /** The loss an optimiser node differentiates, on given batches (for gradient checks). */
  lossOf(optimiser: string, batches: ReadonlyMap<string, Record<string, tf.Tensor>>, iteration: number): tf.Scalar;
  /** The variables an optimiser node trains. */
  variablesOf(optimiser: string): readonly tf.Variable[];
}

/**
 * Schedules a compiled whole graph. A tick pulls one batch from every feeder an optimiser reads; for each optimiser
 * (in graph order) evaluates its tensor nodes under one `tf.variableGrads` tape and applies its update; then calls
 * `afterStep` on network stages (EMA copies). Hooks run between ticks, in declaration order, when `runsAt` says so,
 * and once more after the last tick (`final`). Scalar outputs of the tensor nodes are reported as the tick's terms.
 */
export function scheduleTicks(compiled: CompiledNodes, run: RunContext): TickScheduler {
  const { validated, instances, networks, feeders, streams } = compiled;
  const plans = planOptimisers(compiled);
  const hooks = validated.order
    .filter((name) => instances.get(name) instanceof HookStage)
    .sort((a, b) => declarationIndex(compiled, a) - declarationIndex(compiled, b));
  const iterations = run.iterations;

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
    const tensors = new Map<string, tf.Tensor>();
    for (const [feeder, outputs] of batches) {
      for (const [port, tensor] of Object.entries(outputs)) tensors.set(`${feeder}.${port}`, tensor);
    }
    for (const name of plan.tensorNodes) {
      const node = validated.nodes.get(name)!;
      const stage = instances.get(name) as TensorStage;
      const outputs = stage.compute(resolveNodeInputs(node, { streams, networks, tensors }), {
        iteration,
        iterations,
        random: stage.context.random.derive('tick', iteration),
      });
      const outputSpecs = nodeOutputSpecs(node.stageClass, node.params);
      for (const [port, spec] of Object.entries(outputSpecs)) {
        const tensor = outputs[port];
        if (!tensor) throw new MicflowError('stage-failed', `node "${name}" (${node.stageClass.className}) produced no output "${port}"`);
        tensors.set(`${name}.${port}`, tensor);
        if (spec.type === 'scalar' && reported) {
          const key = port === Object.keys(outputSpecs)[0] ? name : `${name}.${port}`;
          reported.push([key, tf.keep(tensor.clone())]);
        }
      }
    }
    const loss = tensors.get(lossSourceKey(validated.nodes.get(plan.node)!));
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
        return defer(() => hook.run(resolveNodeInputs(node, { streams, networks }), moment));
      }),
    );
  }

  function planNamed(optimiser: string): OptimiserPlan {
    const plan = plans.find((p) => p.node === optimiser);
    if (!plan) throw new MicflowError('invalid-argument', `no optimiser node "${optimiser}"`);
    return plan;
  }

  return {
    tick,
    nextBatches,
    lossOf: (optimiser, batches, iteration) => lossOf(planNamed(optimiser), batches, iteration),
    variablesOf: (optimiser) => planNamed(optimiser).variables,
    run({ backend, backendReason }) {
      const startedAt = performance.now();
      return concat(
        defer(() =>
          of<RunEvent>({
            type: 'run-started',
            pipeline: run.pipelineName,
            backend,
            backendReason,
            iterations,
            seed: run.seed,
            runDirectory: run.runDirectory,
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
      ).pipe(finalize(() => compiled.dispose()));
    },
  };
}

function declarationIndex(compiled: CompiledNodes, name: string): number {
  return Object.keys(compiled.validated.definition.nodes).indexOf(name);
}

function lossSourceKey(node: ValidatedNode): string {
  const source = node.inputs.loss?.[0];
  if (!source || source.kind !== 'port') throw new MicflowError('stage-failed', `optimiser "${node.name}" has no loss input`);
  return `${source.node}.${source.port}`;
}

/** For each optimiser: the tensor nodes and feeders its loss depends on (not through network references), and the probes it computes. */
function planOptimisers({ validated, instances, networks }: CompiledNodes): OptimiserPlan[] {
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
