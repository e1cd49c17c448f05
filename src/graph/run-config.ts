import { readFileSync } from 'node:fs';
import { MicflowError } from '../errors/micflow-error.js';
import { formatGraphProblem } from './graph-problem.js';
import type { PipelineDefinition } from './pipeline-definition.js';
import type { StageRegistry } from './stage-registry.js';
import { validatePipeline } from './validate-pipeline.js';
import type { ValidatedPipeline } from './validated-pipeline.js';

/** Facts about a run that are not part of its pipeline: where the definition came from and which backend ran it. */
export interface RunFacts {
  /** The pipeline module (or other source) the run was started from. */
  readonly source?: string;
  readonly backend?: string;
  readonly backendReason?: string;
  /** The `--set` overrides the run was started with (already applied to the nodes; kept to compare on resume). */
  readonly set?: readonly string[];
  /** Files of container modules (`--module`) whose stages the run uses, to load them again on resume. */
  readonly moduleFiles?: readonly string[];
}

export const RUN_CONFIG_FORMAT = 'micflow-run-config';
export const RUN_CONFIG_VERSION = 1;

/**
 * `config.json` of a run directory: the validated pipeline as data — every node's stage and params after defaults and
 * `--set`, its wiring, the resolved data root and the schedule — plus the run's facts. Reading it back
 * ({@link readRunConfig}) goes through the same validator as the pipeline module did, so a resumed run, inference or
 * a job worker rebuilds exactly the graph that trained.
 */
export function runConfigOf(validated: ValidatedPipeline, dataRoot: string, facts: RunFacts): Record<string, unknown> {
  const { definition } = validated;
  return {
    format: RUN_CONFIG_FORMAT,
    version: RUN_CONFIG_VERSION,
    name: definition.name,
    description: definition.description,
    ...(definition.reference === undefined ? {} : { reference: definition.reference }),
    data: dataRoot,
    schedule: definition.schedule,
    ...facts,
    nodes: Object.fromEntries(
      [...validated.nodes.values()].map((node) => [
        node.name,
        { stage: node.stageClass.className, params: node.params, inputs: definition.nodes[node.name].inputs },
      ]),
    ),
  };
}

/** The pipeline part of a run config (what the validator reads), and the run's facts. */
export function splitRunConfig(raw: unknown, path: string): { definition: PipelineDefinition; facts: RunFacts } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new MicflowError('invalid-argument', `${path}: not a run config (expected a JSON object)`);
  const { format, version, source, backend, backendReason, set, moduleFiles, ...pipeline } = raw as Record<string, unknown>;
  if (format !== undefined && (format !== RUN_CONFIG_FORMAT || version !== RUN_CONFIG_VERSION)) {
    throw new MicflowError('invalid-argument', `${path}: format ${String(format)} version ${String(version)} is not a micflow run config version ${RUN_CONFIG_VERSION}`);
  }
  // Runs written before the config carried the description (micflow ≤ 0.1) validate with an empty one.
  const definition = { description: '', ...pipeline } as unknown as PipelineDefinition;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const texts = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined);
  return {
    definition,
    facts: { source: text(source), backend: text(backend), backendReason: text(backendReason), set: texts(set), moduleFiles: texts(moduleFiles) },
  };
}

/**
 * Reads a run's `config.json` and validates it against the registered stages.
 *
 * @throws MicflowError('invalid-argument') when the file cannot be read or parsed; MicflowError('invalid-pipeline')
 *   listing every problem by its key (`nodes.net.params.classes: …`) when it no longer validates — an unknown stage
 *   says to pass the module that defines it with --module.
 */
export function readRunConfig(path: string, registry: StageRegistry): { validated: ValidatedPipeline; facts: RunFacts };
/** Only the run's facts (which modules to load before the pipeline can be validated). */
export function readRunConfig(path: string, registry: StageRegistry, options: { factsOnly: true }): { facts: RunFacts };
export function readRunConfig(path: string, registry: StageRegistry, options?: { factsOnly: true }): { validated?: ValidatedPipeline; facts: RunFacts } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MicflowError('invalid-argument', `${path}: cannot read the run's config (${(error as Error).message})`);
  }
  const { definition, facts } = splitRunConfig(raw, path);
  if (options?.factsOnly) return { facts };
  const { pipeline, problems } = validatePipeline(definition, registry);
  if (!pipeline) {
    throw new MicflowError(
      'invalid-pipeline',
      `${path}: the run's pipeline does not validate with the stages registered now (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      problems.map((problem) =>
        problem.kind === 'unknown-stage' ? `${formatGraphProblem(problem)}; a stage of your own: pass the module that defines it with --module` : formatGraphProblem(problem),
      ),
    );
  }
  return { validated: pipeline, facts };
}
