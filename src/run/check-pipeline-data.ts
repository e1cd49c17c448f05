import type { DataCheckReport } from '../graph/data-check.js';
import type { ValidatedPipeline } from '../graph/validated-pipeline.js';

/**
 * Checks every dataset a pipeline reads (train, valid, test — each node whose stage can `checkData`), all at once
 * and before anything is written. A dataset that declares no classes is checked against the classes of the networks
 * when they agree and no sample transform downstream of it remaps labels. Problems are prefixed with the node's name.
 */
export async function checkPipelineData(validated: ValidatedPipeline, dataRoot: string): Promise<DataCheckReport> {
  const problems: string[] = [];
  const notes: string[] = [];
  let lists = 0;
  let rowsChecked = 0;
  const networkClasses = networkClassCounts(validated);
  const seen = new Set<string>();
  for (const name of validated.order) {
    const node = validated.nodes.get(name)!;
    const check = node.stageClass.checkData;
    if (!check) continue;
    const key = `${node.stageClass.className} ${JSON.stringify(node.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const inferredClasses = networkClasses.size === 1 && !remapsLabelsDownstream(validated, name) ? [...networkClasses.values()][0] : undefined;
    const report = await check.call(node.stageClass, node.params, { dataRoot, inferredClasses });
    lists += report.lists;
    rowsChecked += report.rowsChecked;
    problems.push(...report.problems.map((m) => `${name}: ${m}`));
    notes.push(...(report.notes ?? []).map((n) => `${name}: ${n}`));
  }
  return { lists, rowsChecked, problems, notes };
}

/** The distinct `classes` params of the pipeline's network nodes. */
function networkClassCounts(validated: ValidatedPipeline): Set<number> {
  const counts = new Set<number>();
  for (const node of validated.nodes.values()) {
    if (node.stageClass.kind !== 'network') continue;
    const classes = (node.params as { classes?: unknown } | undefined)?.classes;
    if (typeof classes === 'number' && Number.isInteger(classes)) counts.add(classes);
  }
  return counts;
}

/** Whether a sample transform that remaps labels reads (directly or not) from this node's streams. */
function remapsLabelsDownstream(validated: ValidatedPipeline, source: string): boolean {
  const readers = new Map<string, string[]>();
  for (const node of validated.nodes.values()) {
    for (const [port, sources] of Object.entries(node.inputs)) {
      if (node.stageClass.inputs[port]?.type !== 'samples') continue;
      for (const from of sources) if (from.kind === 'port') readers.set(from.node, [...(readers.get(from.node) ?? []), node.name]);
    }
  }
  const stack = [...(readers.get(source) ?? [])];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (validated.nodes.get(name)!.stageClass.remapsLabels) return true;
    stack.push(...(readers.get(name) ?? []));
  }
  return false;
}
