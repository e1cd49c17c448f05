import * as tf from '@tensorflow/tfjs-core';
import { Observable } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import type { IterationEvent, RunEvent, RunInterruptedEvent } from '../events/run-event.js';
import { sumOfSquares } from '../runtime/ops/sum-of-squares.js';
import { LossSpikeMonitor } from './loss-spike-monitor.js';
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

/** What may stop a run between ticks. */
export type StopReason = RunInterruptedEvent['reason'];

/** How a run is driven beyond its graph: where it starts, when it saves `latest`, what can stop it. */
export interface RunDriving {
  readonly backend: string;
  readonly backendReason: string;
  /** Iterations already done (a resumed run): ticks start after this one. Default 0. */
  readonly startIteration?: number;
  /** The checkpoint a resumed run continues from: a `run-resumed` event follows `run-started`. */
  readonly resumedFrom?: string;
  /**
   * Saves the whole training state as `latest` (returns the manifest path, or undefined in memory): every
   * `everyIterations` iterations or `everyMinutes` minutes, whichever comes first, after the last iteration, and when
   * the run is stopped.
   */
  readonly latest?: { readonly everyIterations: number; readonly everyMinutes: number; save(iteration: number): Promise<string | undefined> };
  /** Asked after every tick and its hooks; a reason stops the run there (after saving `latest`). */
  readonly stopRequested?: () => StopReason | undefined;
}

/** How a compiled graph runs: ticks, hooks between them, and the whole run as one event stream. */
export interface TickScheduler {
  /**
   * The whole run as a cold stream of events: subscribe to start it, unsubscribe to stop it. Disposes the graph at
   * the end, whichever way it ends.
   */
  run(driving: RunDriving): Observable<RunEvent>;
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
 *
 * Divergence guard: before an optimiser steps, its reported terms and the global norm of its gradients must be
 * finite, else the run stops naming the term (or the variable), the iteration and the batch's source files, with the
 * weights as they were. A loss that stays far above its running median is reported as a `warning` event.
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

  /** Where each feeder's last batch came from, for messages. */
  function batchSources(batches: ReadonlyMap<string, unknown>): string {
    const parts = [...batches.keys()].flatMap((feeder) => {
      const sources = feeders.get(feeder)?.lastSources?.();
      return sources?.length ? [`${feeder}: ${sources.join(', ')}`] : [];
    });
    return parts.length ? `; the batch: ${parts.join('; ')}` : '';
  }

  /** Throws naming the first variable whose gradient is not finite (only called once the global norm was not). */
  function nonFiniteGradient(plan: OptimiserPlan, grads: Record<string, tf.Tensor>, iteration: number, sources: string): never {
    const variable = plan.variables.find((v) => grads[v.name] && !tf.tidy(() => tf.all(tf.isFinite(grads[v.name]!)).dataSync()[0]));
    throw new MicflowError(
      'stage-failed',
      `iteration ${iteration}: the gradient of optimiser "${plan.node}" is not finite${variable ? ` (first at variable ${variable.name})` : ''} while its loss terms are; training diverged and the step was not applied${sources}`,
    );
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
            const gradients = Object.values(grads);
            const normSquared = sumOfSquares(gradients);
            const [values, norm] = await Promise.all([Promise.all(reported.map(([, t]) => t.data())), normSquared.data()]);
            normSquared.dispose();
            reported.forEach(([key], i) => (terms[key] = values[i][0]));
            for (const [key] of reported) {
              if (!Number.isFinite(terms[key])) {
                throw new MicflowError(
                  'stage-failed',
                  `iteration ${iteration}: loss term "${key}" is ${terms[key]} (optimiser "${plan.node}"); training diverged and the step was not applied${batchSources(batches)}`,
                );
              }
            }
            if (!Number.isFinite(norm[0])) nonFiniteGradient(plan, grads, iteration, batchSources(batches));
            plan.optimiser.apply(grads, plan.variables, iteration);
            learningRates[plan.node] = plan.optimiser.learningRate(iteration);
          } finally {
            tf.dispose(grads);
            value.dispose();
          }
        } finally {
          tf.dispose(reported.map(([, t]) => t));
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
      // A browser tab has no process (and no resident set size to report).
      ...(typeof process !== 'undefined' && process.memoryUsage ? { rssBytes: process.memoryUsage.rss() } : {}),
    };
  }

  /** Runs the hooks due at this moment, in declaration order, passing each event on as it comes. */
  async function hooksAt(moment: HookMoment, onEvent: (event: RunEvent) => void): Promise<void> {
    for (const name of hooks) {
      const hook = instances.get(name) as HookStage;
      if (!hook.runsAt(moment)) continue;
      const node = validated.nodes.get(name)!;
      await new Promise<void>((resolve, reject) => {
        hook.run(resolveNodeInputs(node, { streams, networks }), moment).subscribe({ next: onEvent, error: reject, complete: resolve });
      });
    }
  }

  /** The loss each optimiser minimises (its `loss` input's key in the terms), for the spike monitor. */
  const lossKeys = plans.map((plan) => {
    const source = validated.nodes.get(plan.node)!.inputs.loss?.[0];
    if (source?.kind !== 'port') return plan.node;
    const specs = Object.keys(nodeOutputSpecs(validated.nodes.get(source.node)!.stageClass, validated.nodes.get(source.node)!.params));
    return source.port === specs[0] ? source.node : `${source.node}.${source.port}`;
  });

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
    run(driving) {
      return new Observable<RunEvent>((subscriber) => {
        let cancelled = false;
        const emit = (event: RunEvent) => {
          if (!cancelled) subscriber.next(event);
        };
        const startIteration = driving.startIteration ?? 0;
        const monitor = new LossSpikeMonitor();
        (async () => {
          const startedAt = performance.now();
          emit({
            type: 'run-started',
            pipeline: run.pipelineName,
            backend: driving.backend,
            backendReason: driving.backendReason,
            iterations,
            seed: run.seed,
            runDirectory: run.runDirectory,
            time: new Date().toISOString(),
          });
          if (driving.resumedFrom) emit({ type: 'run-resumed', iteration: startIteration, iterations, checkpoint: driving.resumedFrom, time: new Date().toISOString() });
          let lastSaved = performance.now();
          let earlyStopped = false;
          let lastTickIteration = startIteration;
          for (let iteration = startIteration + 1; iteration <= iterations && !cancelled && !earlyStopped; iteration++) {
            const event = await tick(iteration);
            emit(event);
            const losses = Object.fromEntries(lossKeys.filter((key) => key in event.terms).map((key) => [key, event.terms[key]]));
            for (const warning of monitor.observe(losses)) emit({ type: 'warning', iteration, node: warning.key, message: warning.message });
            lastTickIteration = iteration;
            await hooksAt({ iteration, iterations, final: false }, (hookEvent) => {
              emit(hookEvent);
              if (hookEvent.type === 'early-stopped') earlyStopped = true;
            });
            const stop = driving.stopRequested?.();
            if (stop && driving.latest) {
              const checkpoint = await driving.latest.save(iteration);
              emit({ type: 'run-interrupted', iteration, iterations, reason: stop, checkpoint, time: new Date().toISOString() });
              return;
            }
            if (stop) {
              emit({ type: 'run-interrupted', iteration, iterations, reason: stop, checkpoint: undefined, time: new Date().toISOString() });
              return;
            }
            const latest = driving.latest;
            if (latest && iteration < iterations && (iteration % latest.everyIterations === 0 || performance.now() - lastSaved >= latest.everyMinutes * 60_000)) {
              const path = await latest.save(iteration);
              lastSaved = performance.now();
              if (path) emit({ type: 'checkpoint', node: '(run)', iteration, tag: 'latest', path });
            }
          }
          if (cancelled) return;
          const finalIteration = earlyStopped ? Math.min(iterations, lastTickIteration) : iterations;
          // The trained state, saved before the final hooks (an evaluation may load the best weights into a network).
          if (driving.latest) {
            const path = await driving.latest.save(finalIteration);
            if (path) emit({ type: 'checkpoint', node: '(run)', iteration: finalIteration, tag: 'latest', path });
          }
          await hooksAt({ iteration: finalIteration, iterations, final: true }, emit);
          emit({ type: 'run-finished', iterations: finalIteration, seconds: (performance.now() - startedAt) / 1000 });
        })().then(
          () => {
            compiled.dispose();
            if (!cancelled) subscriber.complete();
          },
          (error) => {
            compiled.dispose();
            if (!cancelled) subscriber.error(error);
          },
        );
        return () => {
          cancelled = true;
        };
      });
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
