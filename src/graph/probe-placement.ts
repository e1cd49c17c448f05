import type { ValidatedNode } from './validated-pipeline.js';

/**
 * The nodes an optimiser's loss depends on through data edges (not through network references): what one training
 * tick of that optimiser computes.
 */
export function lossDependencies(nodes: ReadonlyMap<string, ValidatedNode>, optimiser: string): Set<string> {
  const needed = new Set<string>();
  const stack = [...(nodes.get(optimiser)?.inputs.loss ?? [])];
  while (stack.length) {
    const source = stack.pop()!;
    if (source.kind !== 'port' || needed.has(source.node)) continue;
    needed.add(source.node);
    const upstream = nodes.get(source.node)!;
    for (const [port, sources] of Object.entries(upstream.inputs)) {
      if (upstream.stageClass.inputs[port]?.type === 'network') continue;
      stack.push(...sources);
    }
  }
  return needed;
}

/**
 * Assigns every probe to the first optimiser (in `order`) whose loss dependencies include all the nodes it reads
 * (network inputs aside): it is computed in that optimiser's tick. Probes no optimiser covers map to undefined.
 */
export function placeProbes(nodes: ReadonlyMap<string, ValidatedNode>, order: readonly string[]): Map<string, string | undefined> {
  const optimisers = order.filter((n) => nodes.get(n)?.stageClass.kind === 'optimiser').map((n) => ({ name: n, needed: lossDependencies(nodes, n) }));
  const placement = new Map<string, string | undefined>();
  for (const name of order) {
    const node = nodes.get(name)!;
    if (node.stageClass.kind !== 'probe') continue;
    const reads = Object.entries(node.inputs)
      .filter(([port]) => node.stageClass.inputs[port]?.type !== 'network')
      .flatMap(([, sources]) => sources)
      .flatMap((s) => (s.kind === 'port' ? [s.node] : []));
    placement.set(name, optimisers.find((o) => reads.every((r) => o.needed.has(r)))?.name);
  }
  return placement;
}
