/** Every way a pipeline graph can be wrong; all are found and reported together before anything runs. */
export type GraphProblemKind =
  | 'invalid-definition'
  | 'unknown-stage'
  | 'wrong-environment'
  | 'invalid-params'
  | 'missing-input'
  | 'unexpected-input'
  | 'unknown-node'
  | 'unknown-port'
  | 'port-type-mismatch'
  | 'list-mismatch'
  | 'cycle'
  | 'unreachable-node';

export interface GraphProblem {
  readonly kind: GraphProblemKind;
  /** The node the problem is in, when there is one. */
  readonly node?: string;
  /** Dotted path of the offending key, e.g. `nodes.optimise.params.lr`. */
  readonly key: string;
  readonly message: string;
}

export function formatGraphProblem(problem: GraphProblem): string {
  return `${problem.key}: ${problem.message}`;
}
