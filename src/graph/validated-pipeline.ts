import type { ParsedPipelineDefinition } from './pipeline-definition.js';
import type { StageClass } from './stage.js';

export type ResolvedWiring =
  | { readonly kind: 'port'; readonly node: string; readonly port: string }
  | { readonly kind: 'constant'; readonly value: number };

export interface ValidatedNode {
  readonly name: string;
  readonly stageClass: StageClass;
  readonly params: unknown;
  /** For each wired input port: its sources (one for a plain port, several for a list port). */
  readonly inputs: Readonly<Record<string, readonly ResolvedWiring[]>>;
}

export interface ValidatedPipeline {
  readonly definition: ParsedPipelineDefinition;
  readonly nodes: ReadonlyMap<string, ValidatedNode>;
  /** Node names in an order where every node comes after the nodes it reads (network references included). */
  readonly order: readonly string[];
}
