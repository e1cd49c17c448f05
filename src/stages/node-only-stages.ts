import type { StageElsewhere } from '../graph/stage-registry.js';

/**
 * The built-in stages that need Node, and why, in a module without Node imports: the stage classes declare
 * `runsIn`/`runsInReason` from here, and the browser's registry, which cannot load them, knows them by name from here,
 * so that validating for the browser names the node and the stage instead of calling it unknown.
 * test/browser/stage-environments.test.ts checks this list against the classes.
 */
export const nodeOnlyStages = {
  CsvDataset: {
    runsIn: ['node'],
    reason: 'it reads its CSV list and images from disk; in the browser, runPipelineInBrowser reads them from the opened files instead',
  },
  EvaluateSegmentation: { runsIn: ['node'], reason: 'it writes its per-case metrics table and summary to the run directory' },
} as const satisfies Readonly<Record<string, StageElsewhere>>;
