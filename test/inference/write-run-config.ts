import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `<directory>/config.json` for a run of a pipeline with these nodes, as a micflow run writes it (name,
 * description, data root, schedule, nodes): inference reads it back through the pipeline validator, so the nodes must
 * form a valid graph (every node reaching a hook or optimiser).
 */
export function writeRunConfig(directory: string, name: string, nodes: Record<string, unknown>, data = directory): void {
  writeFileSync(join(directory, 'config.json'), JSON.stringify({ name, description: `test run ${name}`, data, schedule: { iterations: 1, seed: 1 }, nodes }, null, 2));
}
