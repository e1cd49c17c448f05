import { MicflowError } from '../errors/micflow-error.js';
import type { PipelineDefinition } from '../graph/pipeline-definition.js';

/**
 * Applies `--set key=value` overrides to a pipeline definition (a deep copy is returned). Keys:
 * `schedule.iterations`, `schedule.seed`, `data`, or `<node>.<param>[.<nested>…]` for a node's params.
 * Values are JSON when they parse as JSON (numbers, booleans, arrays, null), strings otherwise.
 * Wrong keys name themselves; wrong values are left for zod to report against the node's schema.
 */
export function applyOverrides(definition: PipelineDefinition, assignments: readonly string[]): PipelineDefinition {
  const copy = structuredClone(definition) as unknown as Record<string, unknown> & { nodes: Record<string, { params?: Record<string, unknown> }> };
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new MicflowError('invalid-argument', `--set ${assignment}: expected key=value, e.g. --set optimise.lr=3e-4`);
    const key = assignment.slice(0, eq).trim();
    const value = parseValue(assignment.slice(eq + 1));
    const path = key.split('.');
    if (path.some((p) => p === '')) throw new MicflowError('invalid-argument', `--set ${assignment}: "${key}" has an empty part`);
    if (path[0] === 'schedule') {
      if (path.length !== 2 || !['iterations', 'seed'].includes(path[1])) {
        throw new MicflowError('invalid-argument', `--set ${assignment}: the schedule has keys "iterations" and "seed"`);
      }
      (copy.schedule as Record<string, unknown>)[path[1]] = value;
      continue;
    }
    if (path[0] === 'data' && path.length === 1) {
      copy.data = value;
      continue;
    }
    const node = copy.nodes[path[0]];
    if (!node) {
      throw new MicflowError(
        'invalid-argument',
        `--set ${assignment}: no node "${path[0]}" in pipeline "${definition.name}"; its nodes are ${Object.keys(copy.nodes).join(', ')}`,
      );
    }
    if (path.length < 2) throw new MicflowError('invalid-argument', `--set ${assignment}: name a param, e.g. ${path[0]}.<param>=value`);
    node.params = node.params ?? {};
    let target: Record<string, unknown> = node.params;
    for (const part of path.slice(1, -1)) {
      const next = target[part];
      if (next === undefined) target[part] = {};
      else if (typeof next !== 'object' || next === null) {
        throw new MicflowError('invalid-argument', `--set ${assignment}: "${part}" is not an object`);
      }
      target = target[part] as Record<string, unknown>;
    }
    target[path[path.length - 1]] = value;
  }
  return copy as unknown as PipelineDefinition;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
