import { z } from 'zod';

/** A reference to an output port, `'node'` (its first output) or `'node.port'`, or a constant for scalar lists. */
export type PortReference = string;
export type InputWiring = PortReference | number | ReadonlyArray<PortReference | number>;

/** One box of the picture: a stage found by name, its params, and where each of its inputs comes from. */
export interface NodeDefinition {
  readonly stage: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly inputs?: Readonly<Record<string, InputWiring>>;
}

/** A pipeline as data: the nodes and their wiring, plus the run schedule. */
export interface PipelineDefinition {
  readonly name: string;
  readonly description: string;
  /** Paper the topology implements, where there is one. */
  readonly reference?: string;
  /** Root for relative data paths; `--data DIR` replaces it. */
  readonly data: string;
  readonly schedule: { readonly iterations: number; readonly seed: number };
  readonly nodes: Readonly<Record<string, NodeDefinition>>;
}

/** Shorthand for a node: `stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['student'] })`. */
export function stage(
  name: string,
  params: Record<string, unknown> = {},
  inputs: Record<string, InputWiring> = {},
): NodeDefinition {
  return { stage: name, params, inputs };
}

/** Declares a pipeline; the returned value is what a module in `pipelines/` exports as default. */
export function pipeline(definition: PipelineDefinition): PipelineDefinition {
  return definition;
}

export const nodeNamePattern = /^[A-Za-z][A-Za-z0-9_-]*$/;

const wiringItem = z.union([z.string().min(1), z.number()]);

export const nodeDefinitionSchema = z
  .object({
    stage: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    inputs: z.record(z.string(), z.union([wiringItem, z.array(wiringItem)])).default({}),
  })
  .strict();

export const pipelineDefinitionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string(),
    reference: z.string().optional(),
    data: z.string().min(1),
    schedule: z
      .object({
        iterations: z.number().int().positive(),
        seed: z.number().int().nonnegative(),
      })
      .strict(),
    nodes: z.record(
      z.string().regex(nodeNamePattern, 'node names start with a letter and use letters, digits, _ and -'),
      nodeDefinitionSchema,
    ),
  })
  .strict();

export type ParsedPipelineDefinition = z.infer<typeof pipelineDefinitionSchema>;
